// The counter console: staff login, check-in by reference or ID number (a QR scanner types the
// reference and Enter) showing whom to compare with the ID card, walk-in tickets, call next to my
// counter, recall, skip, transfer, complete, pause/resume the counter (R15a), the day's list and the
// office's residence-permit applications (R17: open the materials, approve or reject, complete).
// Keyboard first: F2 check-in, F4 call next, F6 recall, F7 skip, F8 complete, F9 transfer, F10 pause;
// every form submits with Enter.
(function () {
  "use strict";
  var t = HB.t, api = HB.api, el = HB.el;
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem("hallbook.staffToken"), office = null, services = {}, current = null;
  var ID_NUMBER = /^\d{17}[\dXx]$/, poller = null, lastBoard = null, paused = false, toggledAt = 0, lastIdentity = null;

  function msg(text, kind) { HB.say("msg", text, kind); }
  function fail(err) {
    // one sentence per refusal: the code's own words where the server's detail would repeat them
    msg(err && err.code === "QUEUE_EMPTY" ? t("err.QUEUE_EMPTY") : HB.errorText(err), "error");
    if (err.status === 401) logout();
  }
  function serviceName(code) { var s = services[code]; return s ? (HB.lang() === "en" ? s.name_en : s.name_zh) : code; }
  function officePath(rest) { return "/v1/offices/" + encodeURIComponent(office.office_id) + rest; }
  function myCounter() { return $("counter").value.trim(); }
  // the day's list: every ticket of the hall today (GET /v1/offices/{id}/tickets), newest first
  var day = [];
  function loadDay() {
    if (!office) return Promise.resolve();
    return api("GET", officePath("/tickets"), { token: token })
      .then(function (r) {
        day = (r.data.tickets || []).slice().reverse();
        if (!current) {  // after a reload: what this counter called and has not completed
          var mine = day.filter(function (x) { return x.status === "called" && x.counter === myCounter(); })[0];
          if (mine) { current = mine; renderCurrent(); }
        }
        renderDay();
      }, function (err) { if (err.status === 401) fail(err); });
  }

  function renderDay() {
    var body = $("day"); body.textContent = "";
    day.forEach(function (x) {
      var where = x.counter || (x.for_counter ? "→ " + x.for_counter : "");
      body.appendChild(el("tr", { "data-ticket-number": x.number, "data-status": x.status }, [
        el("td", { text: HB.hallTime(x.done_at || x.called_at || x.issued_at).slice(11) }), el("td", { text: x.number }),
        el("td", { text: t(x.kind === "booking" ? "board.booking" : "board.walkIn") }), el("td", { text: serviceName(x.service_code) }),
        el("td", { text: t("tk." + x.status) + (x.skips ? " · " + t("staff.skipped", { n: x.skips }) : "") }), el("td", { text: where })
      ]));
    });
  }

  function refresh() { refreshQueue(); loadDay(); }

  function renderCurrent() {
    $("current").textContent = current ? current.number + " · " + serviceName(current.service_code) : t("staff.none");
    $("current").setAttribute("data-ticket-number", current ? current.number : "");
    ["complete", "recall", "skip", "transfer"].forEach(function (id) { $(id).disabled = !current; });
    if (!current) closeTransfer();
    $("pause").setAttribute("aria-pressed", paused ? "true" : "false");
    $("pause").firstElementChild.textContent = t(paused ? "staff.resume" : "staff.pause");
    $("paused-badge").hidden = !paused;
    $("call-next").disabled = paused;
  }

  function renderSummary() {
    var b = lastBoard;
    if (!b) { $("queue-summary").textContent = ""; return; }
    $("queue-summary").textContent = t("board.waitingCount", { n: b.waiting_count }) +
      ((b.waiting || []).length ? " · " + b.waiting.slice(0, 8).map(function (w) { return w.number; }).join(" ") : "");
  }

  function refreshQueue() {
    if (!office) return;
    api("GET", officePath("/queue")).then(function (r) {
      if (!r.data) return;
      lastBoard = r.data;
      var mine = (r.data.counters || []).filter(function (c) { return c.counter === myCounter(); })[0];
      // the public board may be a second old (the stage cache): right after this console paused or
      // resumed, its own answer is the truth
      if (Date.now() - toggledAt > 3000) paused = !!(mine && mine.paused);
      renderSummary(); renderCurrent();
    }, function () { /* shown on the next action */ });
  }

  function renderIdentity() {
    var box = $("identity"), r = lastIdentity;
    box.hidden = !r;
    if (!r) return;
    var who = r.identity || {};
    $("identity-name").textContent = who.name || (who.booked_by ? t("staff.bookedBy", { name: who.booked_by }) : "—");
    $("identity-number").textContent = who.id_number || r.booking.subject_id_number || "";
    $("identity-slot").textContent = (who.date || r.booking.date) + " " + (who.start || r.booking.start) + "-" + (who.end || r.booking.end) + " · " + serviceName(r.booking.service_code);
    $("identity-ticket").textContent = r.ticket.number + " (" + r.booking.reference + ")";
  }

  function enter() {
    $("login-form").hidden = true; $("console").hidden = false; $("logout").hidden = false;
    api("GET", "/v1/me", { token: token }).then(function (r) {
      if (!r.data.office_id) { msg(t("err.FORBIDDEN"), "error"); return null; }
      return Promise.all([api("GET", "/v1/offices/" + encodeURIComponent(r.data.office_id)), api("GET", "/v1/services"), HB.syncClock()]);
    }).then(function (res) {
      if (!res) return;
      office = res[0].data;
      (res[1].data.services || []).forEach(function (s) { services[s.code] = s; });
      renderOfficeTitle();
      fillServices();
      $("walkin-form").hidden = $("walkin-h").hidden = office.mode !== "priority";
      $("counter").value = HB.store.get("counter." + office.office_id) || "1";
      renderCurrent(); refresh(); loadApps();
      if (!poller) poller = setInterval(refresh, 5000);
      $("checkin").focus();
    }).catch(fail);
  }

  function renderOfficeTitle() {
    if (office) $("office-title").textContent = "· " + (HB.lang() === "en" && office.name_en ? office.name_en : office.name);
  }

  function fillServices() {
    ["walkin-service", "transfer-service"].forEach(function (id) {
      var sel = $(id), keep = sel.value; sel.textContent = "";
      if (id === "transfer-service") sel.appendChild(el("option", { value: "", text: t("staff.sameService") }));
      office.services.forEach(function (code) { sel.appendChild(el("option", { value: code, text: serviceName(code) })); });
      sel.value = keep;
      if (sel.selectedIndex < 0) sel.selectedIndex = 0;
    });
  }

  function logout() {
    if (token) api("DELETE", "/v1/sessions/current", { token: token }).catch(function () { /* gone anyway */ });
    token = null; sessionStorage.removeItem("hallbook.staffToken"); office = null; current = null; lastIdentity = null;
    renderIdentity();
    $("login-form").hidden = false; $("console").hidden = true; $("logout").hidden = true; $("login").focus();
  }

  function checkIn() {
    var value = $("checkin").value.trim().toUpperCase();
    if (!value) { $("checkin").focus(); return; }
    var body = ID_NUMBER.test(value) ? { id_number: value } : { reference: value };
    api("POST", officePath("/check-ins"), { token: token, body: body }).then(function (r) {
      lastIdentity = r.data; renderIdentity();
      msg(t("staff.checkedIn", { number: r.data.ticket.number, reference: r.data.booking.reference }), "ok");
      $("checkin").value = ""; $("checkin").focus(); refresh();
    }, function (err) { fail(err); $("checkin").select(); });
  }

  function walkIn() {
    api("POST", officePath("/tickets"), { token: token, body: { service_code: $("walkin-service").value } })
      .then(function (r) { msg(t("staff.ticketIssued", { number: r.data.number }), "ok"); refresh(); }, fail);
  }

  function callNext() {
    var counter = myCounter();
    if (!counter) { $("counter").focus(); return; }
    if (paused) { msg(t("staff.isPaused", { counter: counter }), "error"); return; }
    HB.store.set("counter." + office.office_id, counter);
    api("POST", officePath("/queue/next"), { token: token, body: { counter: counter } })
      .then(function (r) { current = r.data; renderCurrent(); msg(t("staff.called", { number: r.data.number, counter: counter }), "ok"); refresh(); }, fail);
  }

  function ticketAction(action, body) {
    return api("POST", officePath("/tickets/" + encodeURIComponent(current.ticket_id) + "/" + action), { token: token, body: body });
  }

  function complete() {
    if (!current) return;
    ticketAction("complete").then(function (r) { msg(t("staff.completed", { number: r.data.ticket.number }), "ok"); current = null; renderCurrent(); refresh(); }, fail);
  }

  function recall() {
    if (!current) return;
    ticketAction("recall").then(function (r) { current = r.data; msg(t("staff.recalled", { number: r.data.number, counter: r.data.counter }), "ok"); refresh(); }, fail);
  }

  function skip() {
    if (!current) return;
    ticketAction("skip").then(function (r) {
      msg(r.data.status === "no_show" ? t("staff.skippedTwice", { number: r.data.number })
        : t("staff.skippedOnce", { number: r.data.number, n: office.skip_returns_after || 3 }), "ok");
      current = null; renderCurrent(); refresh();
    }, fail);
  }

  function openTransfer() {
    if (!current) return;
    var form = $("transfer-form"), open = form.hidden;
    form.hidden = !open; $("transfer").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { $("transfer-counter").value = ""; $("transfer-service").value = ""; $("transfer-counter").focus(); }
  }
  function closeTransfer() { $("transfer-form").hidden = true; $("transfer").setAttribute("aria-expanded", "false"); }

  function transfer() {
    if (!current) return;
    var counter = $("transfer-counter").value.trim(), service = $("transfer-service").value;
    if (!counter && !service) { msg(t("staff.transferWhere"), "error"); $("transfer-counter").focus(); return; }
    var body = counter ? { counter: counter } : { service_code: service };
    ticketAction("transfer", body).then(function (r) {
      msg(t("staff.transferred", { number: r.data.number, to: counter ? t("board.counter", { c: counter }) : serviceName(service) }), "ok");
      current = null; closeTransfer(); renderCurrent(); refresh(); $("call-next").focus();
    }, fail);
  }

  function togglePause() {
    var counter = myCounter();
    if (!counter || !office) { $("counter").focus(); return; }
    api("POST", officePath("/counters/" + encodeURIComponent(counter) + (paused ? "/resume" : "/pause")), { token: token })
      .then(function (r) {
        paused = r.data.paused; toggledAt = Date.now(); renderCurrent();
        msg(t(paused ? "staff.pausedNow" : "staff.resumedNow", { counter: counter }), "ok"); refreshQueue();
      }, fail);
  }

  // ---------------------------------------------------------------- residence-permit applications (R17)
  var apps = [], openApp = null;
  function loadApps() {
    if (!office) return;
    var asked = office.office_id + "|" + $("apps-state").value;
    api("GET", officePath("/applications?state=" + encodeURIComponent($("apps-state").value)), { token: token }).then(function (r) {
      if (!office || office.office_id + "|" + $("apps-state").value !== asked) return;  // an answer for another hall or state
      apps = r.data.applications || []; renderApps();
    }, function (err) { if (err.status === 401) fail(err); else { apps = []; renderApps(); } });
  }

  function kindName(a) { return HB.lang() === "en" ? a.kind_name_en : a.kind_name_zh; }

  function renderApps() {
    var body = $("apps-list"); body.textContent = "";
    apps.forEach(function (a) {
      body.appendChild(el("tr", { "data-application": a.application_id }, [
        el("td", { text: a.reference }), el("td", { text: kindName(a) }), el("td", { text: a.applicant_id_number }),
        el("td", { text: a.submitted_at ? HB.hallTime(a.submitted_at) : "" }),
        el("td", {}, [el("button", { type: "button", class: "secondary", text: t("apps.open"), "aria-label": t("apps.open") + " " + a.reference, on: { click: function () { open(a); } } })])
      ]));
    });
    $("apps-none").hidden = apps.length > 0;
  }

  function open(a) {
    var step = a.state === "submitted" ? api("POST", "/v1/applications/" + encodeURIComponent(a.application_id) + "/review", { token: token })
      : api("GET", officePath("/applications/" + encodeURIComponent(a.application_id)), { token: token });
    step.then(function (r) { openApp = r.data; renderApp(); if (a.state === "submitted") loadApps(); }, fail);
  }

  function renderApp() {
    var a = openApp, box = $("app-detail");
    box.hidden = !a;
    if (!a) return;
    $("app-h").textContent = a.reference + " · " + kindName(a) + " · " + t("apps.st." + a.state);
    var details = Object.keys(a.details || {}).map(function (k) { return k + ": " + a.details[k]; }).join(" · ");
    $("app-summary").textContent = t("apps.permit") + " " + a.permit_number + " · " + a.applicant_id_number + (details ? " · " + details : "");
    var list = $("app-materials"); list.textContent = "";
    (a.materials || []).forEach(function (m) {
      var name = HB.lang() === "en" ? m.name_en : m.name_zh;
      list.appendChild(el("li", {}, [m.download_url
        ? el("a", { href: m.download_url, target: "_blank", rel: "noopener noreferrer", text: name + " (" + t("apps.openFile") + ")" })
        : el("span", { text: name + " · " + t("apps.notUploaded") })]));
    });
    $("app-decide").hidden = a.state !== "under_review";
    $("app-complete-box").hidden = a.state !== "collecting";
    $("app-reason").value = "";
  }

  function decide(approve) {
    if (!openApp) return;
    var reason = $("app-reason").value.trim();
    if (!approve && !reason) { msg(t("apps.reasonNeeded"), "error"); $("app-reason").focus(); return; }
    var body = approve ? { approve: true } : { approve: false, reason: reason };
    api("POST", "/v1/applications/" + encodeURIComponent(openApp.application_id) + "/decision", { token: token, body: body })
      .then(function (r) { openApp = r.data; renderApp(); msg(t(approve ? "apps.approved" : "apps.rejected", { reference: r.data.reference }), "ok"); loadApps(); }, fail);
  }

  function completeApp() {
    if (!openApp) return;
    api("POST", "/v1/applications/" + encodeURIComponent(openApp.application_id) + "/complete", { token: token, body: {} })
      .then(function (r) { openApp = r.data; renderApp(); msg(t("apps.completed", { reference: r.data.reference }), "ok"); loadApps(); refresh(); }, fail);
  }

  HB.wireToolbar();
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = { login: $("login").value.trim(), password: $("password").value };
    if ($("totp").value.trim()) body.totp_code = $("totp").value.trim();
    api("POST", "/v1/sessions", { body: body }).then(function (r) {
      token = r.data.token; sessionStorage.setItem("hallbook.staffToken", token); $("password").value = ""; msg(""); enter();
    }, fail);
  });
  $("checkin-form").addEventListener("submit", function (e) { e.preventDefault(); checkIn(); });
  $("walkin-form").addEventListener("submit", function (e) { e.preventDefault(); walkIn(); });
  $("transfer-form").addEventListener("submit", function (e) { e.preventDefault(); transfer(); });
  $("transfer-cancel").addEventListener("click", function () { closeTransfer(); $("transfer").focus(); });
  $("call-next").addEventListener("click", callNext);
  $("complete").addEventListener("click", complete);
  $("recall").addEventListener("click", recall);
  $("skip").addEventListener("click", skip);
  $("transfer").addEventListener("click", openTransfer);
  $("pause").addEventListener("click", togglePause);
  $("counter").addEventListener("change", refreshQueue);
  $("apps-state").addEventListener("change", loadApps);
  $("apps-refresh").addEventListener("click", loadApps);
  $("app-approve").addEventListener("click", function () { decide(true); });
  $("app-reject").addEventListener("click", function () { decide(false); });
  $("app-reason").addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); decide(false); } });
  $("app-complete").addEventListener("click", completeApp);
  $("logout").addEventListener("click", logout);
  var KEYS = { F4: callNext, F6: recall, F7: skip, F8: complete, F9: openTransfer, F10: togglePause };
  document.addEventListener("keydown", function (e) {
    if (!office) return;
    if (e.key === "F2") { e.preventDefault(); $("checkin").focus(); $("checkin").select(); }
    else if (KEYS[e.key]) { e.preventDefault(); KEYS[e.key](); }
    else if (e.key === "Escape" && !$("transfer-form").hidden) { closeTransfer(); $("transfer").focus(); }
  });
  HB.onLang(function () {
    renderDay(); renderCurrent(); renderSummary(); renderIdentity(); renderApps(); renderApp(); renderOfficeTitle();
    if (office) fillServices();
  });
  if (token) enter(); else $("login").focus();
})();
