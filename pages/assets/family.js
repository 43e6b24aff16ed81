// The citizen page: family - guardian links to minors (R2) and the family proxy (R20): ask to act for an
// older relative, confirm with the code sent to their phone, act (book, cancel, print), revoke.
(function () {
  "use strict";
  var C = HBC, $ = C.$, t = HB.t, el = HB.el, say = HB.say, state = C.state;
  var ui = { revoking: null, linkMinor: null };

  function loadFamily() {
    if (!state.token) { state.links = []; state.proxies = []; render(); return Promise.resolve(); }
    return Promise.all([C.call("GET", "/v1/guardian-links"), C.call("GET", "/v1/proxies")]).then(function (res) {
      state.links = res[0].data.links || []; state.proxies = res[1].data.proxies || [];
      render();
    }, C.fail("family-msg")).then(function () { C.emit("family"); });
  }
  C.loadFamily = loadFamily;

  function render() {
    var logged = !!state.me;
    $("family-login").hidden = logged; $("family-body").hidden = !logged;
    if (!logged) return;
    var ul = $("guardian-links"); ul.textContent = "";
    var links = state.links.filter(function (l) { return l.status !== "revoked" && l.status !== "none"; });
    if (!links.length) ul.appendChild(el("li", { class: "hint", text: t("gl.none") }));
    links.forEach(function (l) {
      var item = el("li", { class: "card", "data-minor": l.minor_id_number, "data-status": l.status }, [
        el("strong", { text: l.minor_id_number }), " ", el("span", { class: "status status-" + l.status, text: t("gl.st." + l.status) })
      ]);
      if (ui.revoking === l.minor_id_number) {
        var id = "revoke-" + l.minor_id_number.replace(/\W/g, "");
        item.appendChild(el("label", { for: id, text: t("gl.revokeId") }));
        item.appendChild(el("input", { id: id, maxlength: "18", autocomplete: "off" }));
        item.appendChild(el("div", { class: "row" }, [
          el("button", { type: "button", class: "danger confirm-revoke", text: t("gl.revoke"), on: { click: function (ev) {
            C.busy(ev.target, C.call("POST", "/v1/guardian-links/revoke", { body: { minor_id_number: C.idNumber($(id).value) } }))
              .then(function () { ui.revoking = null; say("family-msg", t("gl.revoked"), "ok"); loadFamily(); }, C.fail("family-msg"));
          } } }),
          el("button", { type: "button", class: "secondary", text: t("my.keep"), on: { click: function () { ui.revoking = null; render(); } } })
        ]));
      } else {
        item.appendChild(el("div", { class: "row" }, [el("button", { type: "button", class: "secondary revoke", text: t("gl.revoke"),
          on: { click: function () { ui.revoking = l.minor_id_number; render(); } } })]));
      }
      ul.appendChild(item);
    });

    var px = $("proxies"); px.textContent = "";
    var shown = state.proxies.filter(function (p) { return p.status !== "revoked"; });
    if (!shown.length) px.appendChild(el("li", { class: "hint", text: t("px.none") }));
    shown.forEach(function (p) { px.appendChild(proxyItem(p)); });
  }

  function proxyItem(p) {
    var mine = p.you_are === "citizen";
    var text = mine ? t("px.given", { name: p.proxy.name }) : t("px.held", { name: p.citizen.name });
    var item = el("li", { class: "card", "data-proxy-id": p.proxy_id, "data-status": p.status, "data-you-are": p.you_are }, [
      el("strong", { text: text }), " ", el("span", { class: "status status-" + p.status, text: t("px.st." + p.status) })
    ]);
    var row = el("div", { class: "row" });
    if (!mine && p.status === "pending") {
      var id = "px-code-" + p.proxy_id;
      item.appendChild(el("p", { class: "hint", text: t("px.codeHint", { name: p.citizen.name }) }));
      item.appendChild(el("label", { for: id, text: t("acct.smsCode") }));
      item.appendChild(el("input", { id: id, inputmode: "numeric", autocomplete: "one-time-code" }));
      row.appendChild(el("button", { type: "button", class: "confirm", text: t("px.confirm"), on: { click: function (ev) {
        C.busy(ev.target, C.call("POST", "/v1/proxies/" + encodeURIComponent(p.proxy_id) + "/confirm", { body: { code: $(id).value.replace(/\s/g, "") } }))
          .then(function () { say("family-msg", t("px.active", { name: p.citizen.name }), "ok"); loadFamily(); }, C.fail("family-msg"));
      } } }));
    }
    if (!mine && p.status === "active") {
      row.appendChild(el("button", { type: "button", class: "act", text: t("px.act"), on: { click: function () {
        $("acting").value = p.proxy_id; $("acting").dispatchEvent(new Event("change")); $("catalogue-h").scrollIntoView();
      } } }));
    }
    row.appendChild(el("button", { type: "button", class: "secondary revoke", text: mine ? t("px.revoke") : t("px.stop"), on: { click: function (ev) {
      C.busy(ev.target, C.call("DELETE", "/v1/proxies/" + encodeURIComponent(p.proxy_id)))
        .then(function () { say("family-msg", t("px.revoked"), "ok"); loadFamily(); }, C.fail("family-msg"));
    } } }));
    item.appendChild(row);
    return item;
  }

  function wire() {
    $("link-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var minor = C.idNumber($("link-minor").value);
      C.busy($("link-submit"), C.call("POST", "/v1/guardian-links", { body: { minor_id_number: minor } })).then(function (r) {
        if (r.data.status === "pending") {
          ui.linkMinor = minor; $("link-step2").hidden = false; say("family-msg", t("gl.pending"), "ok"); $("link-code").focus();
        } else { $("link-form").reset(); say("family-msg", t("gl.linked"), "ok"); }
        loadFamily();
      }, C.fail("family-msg"));
    });
    $("link-confirm").addEventListener("click", function () {
      var body = { minor_id_number: ui.linkMinor || C.idNumber($("link-minor").value), code: $("link-code").value.replace(/\s/g, "") };
      C.busy($("link-confirm"), C.call("POST", "/v1/guardian-links/confirm", { body: body })).then(function () {
        ui.linkMinor = null; $("link-form").reset(); $("link-step2").hidden = true; say("family-msg", t("gl.linked"), "ok"); loadFamily();
      }, C.fail("family-msg"));
    });
    $("proxy-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { id_number: C.idNumber($("proxy-id").value), phone: $("proxy-phone").value.trim() };
      C.busy($("proxy-submit"), C.call("POST", "/v1/proxies", { body: body })).then(function (r) {
        $("proxy-form").reset();
        say("family-msg", r.data.status === "active" ? t("px.active", { name: r.data.citizen.name }) : t("px.sent"), "ok");
        loadFamily();
      }, C.fail("family-msg"));
    });
  }

  var account = null;
  C.on("start", function () { wire(); render(); });
  C.on("me", function () {
    var now = state.me ? state.me.account_id : null;
    if (now !== account) { account = now; loadFamily(); } else render();
  });
  C.on("lang", render);
})();
