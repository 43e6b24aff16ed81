// The phone line's console (114): an operator finds the caller by the reference they read out or by
// ID number and phone, confirms the masked name and phone with them, and books, reschedules (R8a),
// cancels and re-sends the confirmation SMS for them - each an audited operator route.
// Keyboard first: F2 reference, F3 ID number, F6 new booking, Esc closes the booking form; every form
// submits with Enter.
(function () {
  "use strict";
  var t = HB.t, api = HB.api, el = HB.el;
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem("hallbook.operatorToken");
  var caller = null, bookings = [], services = {}, offices = {}, moving = null, key = null;

  function msg(text, kind) { HB.say("msg", text, kind); }
  function fail(err) { msg(HB.errorText(err), "error"); if (err.status === 401) logout(); }
  function serviceName(code) { var s = services[code]; return s ? (HB.lang() === "en" ? s.name_en : s.name_zh) : code; }
  function officeName(id) { var o = offices[id]; return o ? (HB.lang() === "en" && o.name_en ? o.name_en : o.name) : id; }
  function callerPath(rest) { return "/v1/operator/citizens/" + encodeURIComponent(caller.account_id) + "/bookings" + (rest || ""); }

  function enter() {
    $("login-form").hidden = true; $("console").hidden = false; $("logout").hidden = false;
    Promise.all([api("GET", "/v1/services"), api("GET", "/v1/offices"), HB.syncClock()]).then(function (res) {
      (res[0].data.services || []).forEach(function (s) { services[s.code] = s; });
      (res[1].data.offices || []).forEach(function (o) { offices[o.office_id] = o; });
      $("reference").focus();
    }).catch(fail);
  }

  function logout() {
    if (token) api("DELETE", "/v1/sessions/current", { token: token }).catch(function () { /* gone anyway */ });
    token = null; sessionStorage.removeItem("hallbook.operatorToken"); caller = null;
    $("caller").hidden = $("bookings-section").hidden = $("slot-section").hidden = true;
    $("login-form").hidden = false; $("console").hidden = true; $("logout").hidden = true; $("login").focus();
  }

  // ---------------------------------------------------------------- finding the caller
  function showCaller(found) {
    caller = found;
    $("caller").hidden = false;
    $("caller-name").textContent = found.name;
    $("caller-phone").textContent = found.phone;
    $("caller-id").textContent = found.id_number;
    var r = found.restrictions;
    $("caller-limits").textContent = r ? t("op.limits", { c: r.cancellations_this_month, n: r.no_shows_in_six_months }) +
      (r.suspended_until ? " · " + t("op.suspended", { until: HB.hallTime(r.suspended_until) }) : "") : "";
    $("slot-section").hidden = true;
    return loadBookings();
  }

  function byReference() {
    var ref = $("reference").value.trim();
    if (!ref) { $("reference").focus(); return; }
    api("GET", "/v1/operator/bookings?reference=" + encodeURIComponent(ref), { token: token }).then(function (r) {
      msg(t("op.found", { reference: r.data.booking.reference }), "ok");
      return showCaller({ account_id: r.data.account_id, name: r.data.name, phone: r.data.phone, id_number: r.data.id_number });
    }, function (err) { fail(err); $("reference").select(); });
  }

  function byIdentity() {
    var id = $("id-number").value.trim(), phone = $("phone").value.trim();
    if (!id) { $("id-number").focus(); return; }
    if (!phone) { $("phone").focus(); return; }
    api("POST", "/v1/operator/citizen-lookups", { token: token, body: { id_number: id, phone: phone } }).then(function (r) {
      msg(""); $("id-number").value = ""; $("phone").value = "";
      return showCaller(r.data);
    }, fail);
  }

  // ---------------------------------------------------------------- the caller's bookings
  function loadBookings() {
    return api("GET", callerPath(), { token: token }).then(function (r) {
      bookings = r.data.bookings || []; renderBookings();
      $("bookings-section").hidden = false;
    }, fail);
  }

  function renderBookings() {
    var body = $("bookings"); body.textContent = "";
    bookings.forEach(function (b) {
      var actions = [];
      if (b.status === "booked") {
        actions.push(el("button", { type: "button", class: "secondary", text: t("op.reschedule"), "aria-label": t("op.reschedule") + " " + b.reference, on: { click: function () { openSlots(b); } } }));
        actions.push(el("button", { type: "button", class: "secondary", text: t("op.cancel"), "aria-label": t("op.cancel") + " " + b.reference, on: { click: function () { cancel(b); } } }));
        actions.push(el("button", { type: "button", class: "secondary", text: t("op.resend"), "aria-label": t("op.resend") + " " + b.reference, on: { click: function () { resend(b); } } }));
      }
      body.appendChild(el("tr", { "data-reference": b.reference, "data-status": b.status }, [
        el("td", { text: b.reference }), el("td", { text: serviceName(b.service_code) }), el("td", { text: officeName(b.office_id) }),
        el("td", { text: b.date + " " + b.start + "-" + b.end }), el("td", { text: t("st." + b.status) }),
        el("td", {}, [el("div", { class: "row" }, actions)])
      ]));
    });
    $("bookings-none").hidden = bookings.length > 0;
  }

  function cancel(b) {
    if (!window.confirm(t("op.confirmCancel", { reference: b.reference }))) return;
    api("POST", callerPath("/" + encodeURIComponent(b.booking_id) + "/cancel"), { token: token })
      .then(function () { msg(t("op.cancelled", { reference: b.reference }), "ok"); loadBookings(); }, fail);
  }

  function resend(b) {
    api("POST", callerPath("/" + encodeURIComponent(b.booking_id) + "/confirmation-sms"), { token: token })
      .then(function () { msg(t("op.resent", { reference: b.reference }), "ok"); }, fail);
  }

  // ---------------------------------------------------------------- book and reschedule
  function openSlots(booking) {
    if (!caller) return;
    moving = booking || null; key = HB.newKey();
    $("slot-section").hidden = false;
    $("slot-h").textContent = moving ? t("op.rescheduleTitle", { reference: moving.reference }) : t("op.bookTitle");
    $("slot-submit").textContent = t(moving ? "op.doReschedule" : "op.doBook");
    $("ack-row").hidden = !!moving;
    $("pick-ack").checked = false;
    var sel = $("pick-service"); sel.textContent = "";
    Object.keys(services).sort().forEach(function (code) {
      var s = services[code];
      if (s.appointment_required !== false) sel.appendChild(el("option", { value: code, text: serviceName(code) }));
    });
    sel.disabled = !!moving;
    if (moving) sel.value = moving.service_code;
    loadOffices().then(function () { if (moving) $("pick-office").value = moving.office_id; return loadSlots(); });
    (moving ? $("pick-slot") : sel).focus();
  }

  function closeSlots() { $("slot-section").hidden = true; moving = null; }

  function loadOffices() {
    var code = $("pick-service").value, sel = $("pick-office");
    sel.textContent = "";
    $("pick-notice").textContent = services[code] ? (HB.lang() === "en" && services[code].notice_en ? services[code].notice_en : services[code].notice || "") : "";
    return api("GET", "/v1/offices?service=" + encodeURIComponent(code)).then(function (r) {
      (r.data.offices || []).forEach(function (o) { offices[o.office_id] = o; sel.appendChild(el("option", { value: o.office_id, text: officeName(o.office_id) })); });
    }, fail);
  }

  function loadSlots() {
    var sel = $("pick-slot"), office = $("pick-office").value, code = $("pick-service").value;
    sel.textContent = "";
    if (!office || !code) return Promise.resolve();
    return api("GET", "/v1/offices/" + encodeURIComponent(office) + "/availability?service=" + encodeURIComponent(code)).then(function (r) {
      (r.data.days || []).forEach(function (d) {
        (d.slots || []).forEach(function (s) {
          if (s.remaining > 0) sel.appendChild(el("option", { value: d.date + " " + s.start, text: d.date + " " + s.start + "-" + s.end + " · " + t("op.remaining", { n: s.remaining }) }));
        });
      });
      if (!sel.options.length) sel.appendChild(el("option", { value: "", text: t("op.noSlots") }));
    }, fail);
  }

  function submitSlot() {
    var picked = $("pick-slot").value;
    if (!picked) { msg(t("op.pickSlot"), "error"); $("pick-slot").focus(); return; }
    var date = picked.split(" ")[0], start = picked.split(" ")[1], office = $("pick-office").value;
    if (moving) {
      var b = moving;
      api("POST", callerPath("/" + encodeURIComponent(b.booking_id) + "/reschedule"), { token: token, headers: { "Idempotency-Key": key }, body: { office_id: office, date: date, start: start } })
        .then(function (r) { msg(t("op.rescheduled", { reference: r.data.reference, when: r.data.date + " " + r.data.start }), "ok"); closeSlots(); loadBookings(); }, fail);
      return;
    }
    if (!$("pick-ack").checked) { msg(t("op.ackFirst"), "error"); $("pick-ack").focus(); return; }
    var body = { office_id: office, service_code: $("pick-service").value, date: date, start: start, notice_acknowledged: true };
    api("POST", callerPath(), { token: token, headers: { "Idempotency-Key": key }, body: body })
      .then(function (r) { msg(t("op.booked", { reference: r.data.reference }), "ok"); closeSlots(); loadBookings(); }, fail);
  }

  HB.wireToolbar();
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = { login: $("login").value.trim(), password: $("password").value };
    if ($("totp").value.trim()) body.totp_code = $("totp").value.trim();
    api("POST", "/v1/sessions", { body: body }).then(function (r) {
      if (r.data.role && r.data.role !== "operator") { msg(t("err.FORBIDDEN"), "error"); return; }
      token = r.data.token; sessionStorage.setItem("hallbook.operatorToken", token); $("password").value = ""; msg(""); enter();
    }, fail);
  });
  $("ref-form").addEventListener("submit", function (e) { e.preventDefault(); byReference(); });
  $("id-form").addEventListener("submit", function (e) { e.preventDefault(); byIdentity(); });
  $("slot-form").addEventListener("submit", function (e) { e.preventDefault(); submitSlot(); });
  $("slot-cancel").addEventListener("click", closeSlots);
  $("new-booking").addEventListener("click", function () { openSlots(null); });
  $("pick-service").addEventListener("change", function () { loadOffices().then(loadSlots); });
  $("pick-office").addEventListener("change", loadSlots);
  // a select does not submit its form on Enter: the console's keyboard-first path does
  ["pick-service", "pick-office", "pick-slot"].forEach(function (id) {
    $(id).addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); submitSlot(); } });
  });
  $("logout").addEventListener("click", logout);
  document.addEventListener("keydown", function (e) {
    if (!token || $("console").hidden) return;
    if (e.key === "F2") { e.preventDefault(); $("reference").focus(); $("reference").select(); }
    else if (e.key === "F3") { e.preventDefault(); $("id-number").focus(); }
    else if (e.key === "F6") { e.preventDefault(); openSlots(null); }
    else if (e.key === "Escape" && !$("slot-section").hidden) { closeSlots(); }
  });
  HB.onLang(function () { if (caller) renderBookings(); });
  if (token) enter(); else $("login").focus();
})();
