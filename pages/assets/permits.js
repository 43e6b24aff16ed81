// The citizen page: residence-permit applications (R17) - apply for a permit one holds, upload each
// material straight to its presigned form (with progress), submit, read the result, and pick collection
// at a hall's window (a time of RP_COLLECT) or by mail.
(function () {
  "use strict";
  var C = HBC, $ = C.$, t = HB.t, el = HB.el, say = HB.say, state = C.state;
  var ui = { permits: [], applications: [], uploaded: {}, collect: {} };
  var TYPES = { "image/jpeg": 1, "image/png": 1, "application/pdf": 1 };

  function load() {
    if (!state.token) { ui.permits = []; ui.applications = []; render(); return Promise.resolve(); }
    return Promise.all([C.call("GET", "/v1/permits"), C.call("GET", "/v1/applications")]).then(function (res) {
      ui.permits = res[0].data.permits || []; ui.applications = res[1].data.applications || [];
      render();
    }, C.fail("permits-msg"));
  }

  function kindName(a) { return C.en() ? a.kind_name_en : a.kind_name_zh; }

  function render() {
    var logged = !!state.me;
    $("permits-login").hidden = logged; $("permits-body").hidden = !logged;
    if (!logged) return;
    var pl = $("permit-list"); pl.textContent = "";
    if (!ui.permits.length) pl.appendChild(el("li", { class: "hint", text: t("rp.none") }));
    ui.permits.forEach(function (p) {
      var w = p.renewal_window || {};
      pl.appendChild(el("li", { class: "card", "data-permit": p.number }, [
        el("strong", { text: t("rp.permitNo", { n: p.number }) }),
        el("p", { class: "hint", text: (p.office_name || p.office_id) + " · " + t("rp.validUntil", { d: p.valid_until }) }),
        w.opens ? el("p", { class: "hint", text: t("rp.window", { from: w.opens, to: w.closes }) }) : null
      ]));
    });
    var sel = $("apply-permit"), current = sel.value; sel.textContent = "";
    ui.permits.forEach(function (p) { sel.appendChild(el("option", { value: p.number, text: p.number, selected: p.number === current })); });
    $("apply-form").hidden = !ui.permits.length;
    kindFields();
    var ul = $("applications"); ul.textContent = "";
    ui.applications.forEach(function (a) { ul.appendChild(applicationItem(a)); });
  }

  function kindFields() {
    var kind = $("apply-kind").value;
    $("apply-change").hidden = kind !== "change"; $("apply-replace").hidden = kind !== "replacement";
  }

  function applicationItem(a) {
    var item = el("li", { class: "card", "data-application-id": a.application_id, "data-state": a.state }, [
      el("strong", { text: kindName(a) }), " ", el("span", { class: "status status-" + a.state, text: t("rp.st." + a.state) }),
      el("p", { class: "hint", text: t("rp.reference", { ref: a.reference }) + " · " + a.permit_number })
    ]);
    if (a.state === "draft") {
      if (!a.materials.length) item.appendChild(el("p", { class: "hint", text: t("rp.noMaterials") }));
      a.materials.forEach(function (m) { item.appendChild(materialRow(a, m)); });
      item.appendChild(el("div", { class: "row" }, [
        el("button", { type: "button", class: "submit-app", text: t("rp.submit"), on: { click: function (ev) { act(ev.target, a, "submit", t("rp.submitted")); } } }),
        el("button", { type: "button", class: "secondary", text: t("rp.withdraw"), on: { click: function (ev) { act(ev.target, a, "withdraw", t("rp.withdrawn")); } } })
      ]));
    }
    if (a.decision) {
      item.appendChild(el("p", { class: "message " + (a.decision.approved ? "ok" : "error"), text: a.decision.approved ? t("rp.approved") : t("rp.rejected", { reason: a.decision.reason || "" }) }));
    }
    if (a.state === "approved") item.appendChild(collectionForm(a));
    if (a.collection) {
      var c = a.collection;
      item.appendChild(el("p", { class: "hint collection", text: c.method === "mail" ? t("rp.byMail", { address: c.address || "" })
        : t("rp.atWindow", { office: (state.officesById[c.office_id] ? C.officeName(state.officesById[c.office_id]) : c.office_id), date: c.date, start: c.start, reference: c.reference || "" }) }));
    }
    return item;
  }

  function act(button, a, step, done) {
    C.busy(button, C.call("POST", "/v1/applications/" + encodeURIComponent(a.application_id) + "/" + step, { body: {} }))
      .then(function () { say("permits-msg", done, "ok"); load(); }, C.fail("permits-msg"));
  }

  // ------------------------------------------------------------------ uploads with progress
  function materialRow(a, m) {
    var id = "file-" + a.application_id + "-" + m.code, key = a.application_id + "/" + m.code;
    var done = ui.uploaded[key] || m.uploaded;
    var progress = el("progress", { max: "100", value: done ? "100" : "0", "aria-label": C.en() ? m.name_en : m.name_zh, id: id + "-p" });
    var input = el("input", { type: "file", id: id, accept: "image/jpeg,image/png,application/pdf", "data-material": m.code });
    input.addEventListener("change", function () { if (input.files[0]) upload(a, m, input.files[0], progress, status); });
    var status = el("span", { class: "hint upload-status", role: "status", text: done ? t("rp.uploaded") : (m.required ? t("rp.required") : t("rp.optional")) });
    return el("div", { class: "material", "data-material": m.code }, [
      el("label", { for: id, text: C.en() ? m.name_en : m.name_zh }), input, el("div", { class: "row" }, [progress, status])
    ]);
  }

  function upload(a, m, file, progress, status) {
    if (!TYPES[file.type]) { status.textContent = t("rp.badType"); return; }
    status.textContent = t("rp.uploading");
    C.call("POST", "/v1/applications/" + encodeURIComponent(a.application_id) + "/uploads", { body: { material: m.code, content_type: file.type } })
      .then(function (r) {
        var form = r.data;
        if (file.size > form.max_bytes) { status.textContent = t("rp.tooBig", { mb: Math.round(form.max_bytes / 1048576) }); return; }
        var data = new FormData();
        Object.keys(form.fields).forEach(function (k) { data.append(k, form.fields[k]); });
        data.append(form.file_field || "file", file);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.url);
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total); };
        xhr.onload = function () {
          if (xhr.status >= 200 && xhr.status < 300) { progress.value = 100; ui.uploaded[a.application_id + "/" + m.code] = true; status.textContent = t("rp.uploaded"); }
          else { progress.value = 0; status.textContent = t("rp.uploadFailed"); }
        };
        xhr.onerror = function () { progress.value = 0; status.textContent = t("rp.uploadFailed"); };
        xhr.send(data);
      }, function (err) { status.textContent = HB.errorText(err); });
  }

  // ------------------------------------------------------------------ collection: at a window or by mail
  function collectionForm(a) {
    var c = ui.collect[a.application_id] = ui.collect[a.application_id] || { method: "window" };
    var p = "col-" + a.application_id + "-";
    var box = el("fieldset", { class: "collection-form" }, [el("legend", { text: t("rp.collect") })]);
    ["window", "mail"].forEach(function (m) {
      var radio = el("input", { type: "radio", name: p + "method", value: m, checked: c.method === m });
      radio.addEventListener("change", function () { c.method = m; render(); });
      box.appendChild(el("label", { class: "check" }, [radio, " ", el("span", { text: t("rp.method." + m) })]));
    });
    if (c.method === "mail") {
      [["name", "acct.name"], ["address", "rp.mailAddress"], ["phone", "acct.phone"]].forEach(function (f) {
        box.appendChild(el("label", { for: p + f[0], text: t(f[1]) }));
        var input = el("input", { id: p + f[0], value: c[f[0]] || "", type: f[0] === "phone" ? "tel" : "text", autocomplete: "off" });
        input.addEventListener("input", function () { c[f[0]] = input.value; });
        box.appendChild(input);
      });
    } else {
      // at the window of the permit's own station (the API takes no other), a time of RP_COLLECT
      if (c.office_id !== a.office_id) { c.office_id = a.office_id; c.slot = ""; c.days = null; }
      if (!c.days) { c.days = []; loadCollectDays(c).then(render); }
      box.appendChild(el("p", { class: "hint", text: t("rp.office", { office: a.office_name || a.office_id }) }));
      var ssel = el("select", { id: p + "slot" });
      ssel.appendChild(el("option", { value: "", text: t("rp.pickTime") }));
      (c.days || []).forEach(function (d) {
        d.slots.forEach(function (s) {
          if (s.remaining > 0) ssel.appendChild(el("option", { value: d.date + " " + s.start, text: d.date + " " + s.start + "-" + s.end + " · " + t("av.remaining", { n: s.remaining }), selected: c.slot === d.date + " " + s.start }));
        });
      });
      ssel.addEventListener("change", function () { c.slot = ssel.value; });
      box.appendChild(el("label", { for: p + "slot", text: t("rp.time") })); box.appendChild(ssel);
    }
    box.appendChild(el("div", { class: "row" }, [el("button", { type: "button", class: "collect", text: t("rp.collectSubmit"), on: { click: function (ev) {
      var body = c.method === "mail" ? { method: "mail", name: (c.name || "").trim(), address: (c.address || "").trim(), phone: (c.phone || "").trim() }
        : { method: "window", office_id: c.office_id, date: (c.slot || "").split(" ")[0], start: (c.slot || "").split(" ")[1] };
      if (body.method === "window" && !(body.office_id && body.start)) { say("permits-msg", t("rp.pickTime"), "error"); return; }
      C.busy(ev.target, C.call("POST", "/v1/applications/" + encodeURIComponent(a.application_id) + "/collection", { body: body, headers: { "Idempotency-Key": HB.newKey() } }))
        .then(function () { say("permits-msg", t("rp.collectDone"), "ok"); load(); }, C.fail("permits-msg"));
    } } })]));
    return box;
  }

  function loadCollectDays(c) {
    if (!c.office_id) { c.days = []; return Promise.resolve(); }
    return HB.api("GET", "/v1/offices/" + encodeURIComponent(c.office_id) + "/availability?service=RP_COLLECT")
      .then(function (r) { c.days = r.data.days || []; }, C.fail("permits-msg"));
  }

  function wire() {
    $("apply-kind").addEventListener("change", kindFields);
    $("apply-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var kind = $("apply-kind").value, body = { kind: kind, permit_number: $("apply-permit").value };
      if (kind === "change") { body.change_date = $("apply-date").value; if ($("apply-address").value.trim()) body.address = $("apply-address").value.trim(); }
      if (kind === "replacement") body.reason = $("apply-reason").value;
      C.busy($("apply-submit"), C.call("POST", "/v1/applications", { body: body })).then(function () {
        say("permits-msg", t("rp.created"), "ok"); load();
      }, C.fail("permits-msg"));
    });
  }

  var account = null;
  C.on("start", function () { wire(); render(); });
  C.on("me", function () {
    var now = state.me ? state.me.account_id : null;
    if (now !== account) { account = now; load(); } else render();
  });
  C.on("lang", render);
})();
