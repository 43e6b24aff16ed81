// The counter console: staff login, check-in by reference or ID number (a QR scanner types the
// reference and Enter), walk-in tickets, call next to my counter, complete, the day's list.
// Keyboard first: F2 check-in, F4 call next, F8 complete; every form submits with Enter.
(function () {
  "use strict";
  var t = HB.t, api = HB.api, el = HB.el;
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem("hallbook.staffToken"), office = null, services = {}, current = null;
  var ID_NUMBER = /^\d{17}[\dXx]$/, poller = null;

  function msg(text, kind) { HB.say("msg", text, kind); }
  function fail(err) { msg(HB.errorText(err), "error"); if (err.status === 401) logout(); }
  function serviceName(code) { var s = services[code]; return s ? (HB.lang() === "en" ? s.name_en : s.name_zh) : code; }
  // the day's list: every ticket of the hall today (GET /v1/offices/{id}/tickets), newest first
  var day = [];
  function loadDay() {
    if (!office) return Promise.resolve();
    return api("GET", "/v1/offices/" + encodeURIComponent(office.office_id) + "/tickets", { token: token })
      .then(function (r) {
        day = (r.data.tickets || []).slice().reverse();
        if (!current) {  // after a reload: what this counter called and has not completed
          var mine = day.filter(function (x) { return x.status === "called" && x.counter === $("counter").value.trim(); })[0];
          if (mine) { current = mine; renderCurrent(); }
        }
        renderDay();
      }, function (err) { if (err.status === 401) fail(err); });
  }

  function renderDay() {
    var body = $("day"); body.textContent = "";
    day.forEach(function (x) {
      body.appendChild(el("tr", { "data-ticket-number": x.number, "data-status": x.status }, [
        el("td", { text: HB.hallTime(x.done_at || x.called_at || x.issued_at).slice(11) }), el("td", { text: x.number }),
        el("td", { text: t(x.kind === "booking" ? "board.booking" : "board.walkIn") }), el("td", { text: serviceName(x.service_code) }),
        el("td", { text: t("tk." + x.status) }), el("td", { text: x.counter || "" })
      ]));
    });
  }

  function refresh() { refreshQueue(); loadDay(); }

  function renderCurrent() {
    $("current").textContent = current ? current.number + " · " + serviceName(current.service_code) : t("staff.none");
    $("current").setAttribute("data-ticket-number", current ? current.number : "");
    $("complete").disabled = !current;
  }

  function refreshQueue() {
    if (!office) return;
    api("GET", "/v1/offices/" + encodeURIComponent(office.office_id) + "/queue").then(function (r) {
      if (!r.data) return;
      $("queue-summary").textContent = t("board.waitingCount", { n: r.data.waiting_count }) + " · " +
        (r.data.waiting || []).slice(0, 8).map(function (w) { return w.number; }).join(" ");
    }, function () { /* shown on the next action */ });
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
      $("office-title").textContent = "· " + (HB.lang() === "en" && office.name_en ? office.name_en : office.name);
      var sel = $("walkin-service"); sel.textContent = "";
      office.services.forEach(function (code) { sel.appendChild(el("option", { value: code, text: serviceName(code) })); });
      $("walkin-form").hidden = $("walkin-h").hidden = office.mode !== "priority";
      $("counter").value = HB.store.get("counter." + office.office_id) || "1";
      renderCurrent(); refresh();
      if (!poller) poller = setInterval(refresh, 5000);
      $("checkin").focus();
    }).catch(fail);
  }

  function logout() {
    if (token) api("DELETE", "/v1/sessions/current", { token: token }).catch(function () { /* gone anyway */ });
    token = null; sessionStorage.removeItem("hallbook.staffToken"); office = null;
    $("login-form").hidden = false; $("console").hidden = true; $("logout").hidden = true; $("login").focus();
  }

  function checkIn() {
    var value = $("checkin").value.trim().toUpperCase();
    if (!value) { $("checkin").focus(); return; }
    var body = ID_NUMBER.test(value) ? { id_number: value } : { reference: value };
    api("POST", "/v1/offices/" + encodeURIComponent(office.office_id) + "/check-ins", { token: token, body: body }).then(function (r) {
            msg(t("staff.checkedIn", { number: r.data.ticket.number, reference: r.data.booking.reference }), "ok");
      $("checkin").value = ""; $("checkin").focus(); refresh();
    }, function (err) { fail(err); $("checkin").select(); });
  }

  function walkIn() {
    api("POST", "/v1/offices/" + encodeURIComponent(office.office_id) + "/tickets", { token: token, body: { service_code: $("walkin-service").value } })
      .then(function (r) { msg(t("staff.ticketIssued", { number: r.data.number }), "ok"); refresh(); }, fail);
  }

  function callNext() {
    var counter = $("counter").value.trim();
    if (!counter) { $("counter").focus(); return; }
    HB.store.set("counter." + office.office_id, counter);
    api("POST", "/v1/offices/" + encodeURIComponent(office.office_id) + "/queue/next", { token: token, body: { counter: counter } })
      .then(function (r) { current = r.data; renderCurrent(); msg(t("staff.called", { number: r.data.number, counter: counter }), "ok"); refresh(); }, fail);
  }

  function complete() {
    if (!current) return;
    api("POST", "/v1/offices/" + encodeURIComponent(office.office_id) + "/tickets/" + encodeURIComponent(current.ticket_id) + "/complete", { token: token })
      .then(function (r) { msg(t("staff.completed", { number: r.data.ticket.number }), "ok"); current = null; renderCurrent(); refresh(); }, fail);
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
  $("call-next").addEventListener("click", callNext);
  $("complete").addEventListener("click", complete);
  $("logout").addEventListener("click", logout);
  document.addEventListener("keydown", function (e) {
    if (!office) return;
    if (e.key === "F2") { e.preventDefault(); $("checkin").focus(); $("checkin").select(); }
    else if (e.key === "F4") { e.preventDefault(); callNext(); }
    else if (e.key === "F8") { e.preventDefault(); complete(); }
  });
  HB.onLang(function () { renderDay(); renderCurrent(); if (office) $("office-title").textContent = "· " + (HB.lang() === "en" && office.name_en ? office.name_en : office.name); });
  if (token) enter(); else $("login").focus();
})();
