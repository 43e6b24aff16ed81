// The citizen page: catalog, halls, availability, account, booking, my bookings (SPEC routes only).
(function () {
  "use strict";
  var t = HB.t, api = HB.api, el = HB.el, say = HB.say;
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    token: sessionStorage.getItem("hallbook.token"), me: null, services: [], byCode: {}, offices: [],
    service: null, office: null, days: [], day: null, slot: null, attemptKey: null, pendingId: null, password: null,
    lastBooking: null, confirmCancel: null
  };

  function name(service) { return HB.lang() === "en" && service.name_en ? service.name_en : service.name_zh; }
  function officeName(o) { return HB.lang() === "en" && o.name_en ? o.name_en : o.name; }
  function setToken(token) {
    state.token = token;
    if (token) sessionStorage.setItem("hallbook.token", token); else sessionStorage.removeItem("hallbook.token");
  }

  // ------------------------------------------------------------------ account
  function showTab(which) {
    $("login-form").hidden = which !== "login"; $("register-form").hidden = which !== "register";
    $("verify-form").hidden = which !== "verify";
    $("tab-login").setAttribute("aria-pressed", which === "login"); $("tab-register").setAttribute("aria-pressed", which === "register");
  }

  function loadMe() {
    if (!state.token) { renderAccount(); return Promise.resolve(); }
    return api("GET", "/v1/me", { token: state.token }).then(function (r) { state.me = r.data; renderAccount(); loadBookings(); },
      function (err) { if (err.status === 401) { setToken(null); state.me = null; } renderAccount(); if (err.status !== 401) say("account-msg", HB.errorText(err), "error"); });
  }

  function renderAccount() {
    var me = state.me;
    $("logged-out").hidden = !!me; $("logged-in").hidden = !me; $("my-bookings").hidden = !me;
    if (!me) { $("bookings").textContent = ""; return; }
    $("whoami").textContent = t("acct.loggedInAs", { name: me.name + (me.phone ? " (" + me.phone + ")" : "") });
    var box = $("restrictions"); box.textContent = "";
    var r = me.restrictions;
    var lines = [];
    if (!me.phone_verified) lines.push([t("acct.notVerified"), "warn"]);
    if (r) {
      if (r.suspended_until) lines.push([t("acct.suspended", { until: HB.hallTime(r.suspended_until) }), "error"]);
      if (r.cancellations_this_month) lines.push([t("acct.cancellations", { n: r.cancellations_this_month }) + (r.cancellations_this_month === 2 ? " " + t("acct.warnOneMore") : ""), r.cancellations_this_month >= 2 ? "warn" : ""]);
      if (r.no_shows_in_six_months) lines.push([t("acct.noShows", { n: r.no_shows_in_six_months }) + (r.no_shows_in_six_months === 2 ? " " + t("acct.warnOneMore") : ""), r.no_shows_in_six_months >= 2 ? "warn" : ""]);
    }
    if (lines.length) box.appendChild(el("h3", { text: t("acct.restrictions"), class: "sr-only" }));
    lines.forEach(function (l) { box.appendChild(el("p", { class: "message " + l[1], text: l[0] })); });
  }

  function login(loginName, password, smsCode) {
    var body = { login: loginName, password: password };
    if (smsCode) body.sms_code = smsCode;
    return api("POST", "/v1/sessions", { body: body }).then(function (r) {
      setToken(r.data.token); $("login-code-row").hidden = true; $("login-form").reset();
      return loadMe();
    });
  }

  function wireAccount() {
    $("tab-login").addEventListener("click", function () { showTab("login"); });
    $("tab-register").addEventListener("click", function () { showTab("register"); });
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault(); say("account-msg", "");
      var btn = $("login-submit"); btn.disabled = true;
      login($("login-login").value.trim(), $("login-password").value, $("login-code").value.trim())
        .catch(function (err) {
          if (err.code === "SMS_CODE_REQUIRED") $("login-code-row").hidden = false;
          say("account-msg", HB.errorText(err), "error");
        }).then(function () { btn.disabled = false; });
    });
    $("send-login-code").addEventListener("click", function () {
      api("POST", "/v1/sessions/sms-code", { body: { login: $("login-login").value.trim() } })
        .then(function () { say("account-msg", t("acct.codeSent"), "ok"); }, function (err) { say("account-msg", HB.errorText(err), "error"); });
    });
    $("register-form").addEventListener("submit", function (e) {
      e.preventDefault(); say("account-msg", "");
      var body = { name: $("reg-name").value.trim(), id_number: $("reg-id").value.trim().toUpperCase(),
        phone: $("reg-phone").value.trim(), password: $("reg-password").value, lang: HB.lang() };
      var btn = $("register-submit"); btn.disabled = true;
      api("POST", "/v1/accounts", { body: body }).then(function () {
        state.pendingId = body.id_number; state.pendingPhone = body.phone; state.password = body.password;
        showTab("verify"); say("account-msg", t("acct.registered"), "ok"); $("verify-code").focus();
      }, function (err) { say("account-msg", HB.errorText(err), "error"); }).then(function () { btn.disabled = false; });
    });
    $("verify-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var btn = $("verify-submit"); btn.disabled = true;
      api("POST", "/v1/accounts/verify", { body: { id_number: state.pendingId, code: $("verify-code").value.trim() } })
        .then(function () { return login(state.pendingPhone, state.password); })
        .then(function () { state.password = null; showTab("login"); say("account-msg", t("acct.verified"), "ok"); },
          function (err) { say("account-msg", HB.errorText(err), "error"); })
        .then(function () { btn.disabled = false; });
    });
    $("verify-resend").addEventListener("click", function () {
      api("POST", "/v1/accounts/verify/resend", { body: { id_number: state.pendingId } })
        .then(function () { say("account-msg", t("acct.codeSent"), "ok"); }, function (err) { say("account-msg", HB.errorText(err), "error"); });
    });
    $("logout").addEventListener("click", function () {
      var token = state.token;
      setToken(null); state.me = null; renderAccount();
      if (token) api("DELETE", "/v1/sessions/current", { token: token }).catch(function () { /* gone anyway */ });
    });
  }

  // ------------------------------------------------------------------ catalog, halls, availability
  function renderServices() {
    var list = $("services"); list.textContent = "";
    // once one is chosen, only it stays (a phone's screen is short); "change" brings the list back
    var shown = state.service ? [state.service] : state.services;
    shown.forEach(function (s) {
      var en = HB.lang() === "en";
      var materials = (en && s.materials_en && s.materials_en.length ? s.materials_en : s.materials) || [];
      var notice = en && s.notice_en ? s.notice_en : s.notice;
      var chosen = state.service && state.service.code === s.code;
      var action = chosen
        ? el("button", { type: "button", class: "secondary change", text: t("cat.change"), on: { click: function () { resetService(); } } })
        : s.appointment_required ? el("button", { type: "button", class: "secondary choose", "aria-label": t("cat.choose") + ": " + name(s),
          text: t("cat.choose"), on: { click: function () { chooseService(s); } } }) : null;
      var item = el("li", { class: "card" + (chosen ? " chosen" : ""), "data-service-code": s.code, "data-walk-in": s.appointment_required ? null : "true" }, [
        el("strong", { text: name(s) }),
        s.appointment_required ? null : el("span", { class: "badge walkin", text: t("cat.walkIn") }),
        el("details", { open: chosen }, [
          el("summary", { text: t("cat.materials") + " · " + t("cat.notice") }),
          el("h3", { class: "hint", text: t("cat.materials") }),
          el("ul", {}, materials.map(function (m) { return el("li", { text: m }); })),
          el("h3", { class: "hint", text: t("cat.notice") }),
          el("p", { text: notice })
        ]),
        action ? el("div", { class: "row" }, [action]) : null
      ]);
      list.appendChild(item);
    });
  }

  function resetService() {
    state.service = null; state.office = null; state.offices = []; state.days = []; state.day = null; state.slot = null;
    renderServices(); renderDistricts(); renderOffices(); renderDays(); renderBooking();
    $("catalogue-h").scrollIntoView();
  }

  function chooseService(s) {
    state.service = s; state.office = null; state.days = []; state.day = null; state.slot = null; state.attemptKey = null;
    renderServices(); renderDays(); renderBooking();
    api("GET", "/v1/offices?service=" + encodeURIComponent(s.code)).then(function (r) {
      state.offices = r.data.offices || []; renderDistricts(); renderOffices();
      document.getElementById("offices-h").scrollIntoView({ block: "start" });
    }, function (err) { say("global-msg", HB.errorText(err), "error"); });
  }

  function renderDistricts() {
    var sel = $("district"), current = sel.value; sel.textContent = "";
    sel.appendChild(el("option", { value: "", text: t("off.allDistricts") }));
    Array.from(new Set(state.offices.map(function (o) { return o.district; }))).sort().forEach(function (d) {
      sel.appendChild(el("option", { value: d, text: d, selected: d === current }));
    });
  }

  function renderOffices() {
    var list = $("office-list"); list.textContent = "";
    if (!state.service) { list.appendChild(el("li", { class: "hint", text: t("off.pickService") })); return; }
    var district = $("district").value;
    var shown = state.office ? [state.office] : state.offices.filter(function (o) { return !district || o.district === district; });
    $("district").disabled = !!state.office;
    if (!shown.length) list.appendChild(el("li", { class: "hint", text: t("off.none") }));
    shown.forEach(function (o) {
      var chosen = state.office && state.office.office_id === o.office_id;
      list.appendChild(el("li", { class: "card" + (chosen ? " chosen" : ""), "data-office-id": o.office_id }, [
        el("strong", { text: officeName(o) }), " ", el("span", { class: "badge", text: o.district }),
        el("p", { class: "hint", text: o.address + (o.phone ? " · " + o.phone : "") }),
        el("p", { class: "hint", text: o.mode === "book_first" ? t("off.modeBookFirst") : t("off.modePriority") }),
        chosen ? el("button", { type: "button", class: "secondary change", text: t("off.change"),
          on: { click: function () { state.office = null; state.days = []; state.day = null; state.slot = null; renderOffices(); renderDays(); renderBooking(); } } })
          : el("button", { type: "button", class: "secondary choose", "aria-label": t("off.choose") + ": " + officeName(o), text: t("off.choose"),
            on: { click: function () { chooseOffice(o); } } })
      ]));
    });
  }

  function chooseOffice(o) {
    state.office = o; state.day = null; state.slot = null; state.attemptKey = null; renderOffices(); renderBooking();
    return loadAvailability();
  }

  function loadAvailability() {
    if (!state.office || !state.service) return Promise.resolve();
    return api("GET", "/v1/offices/" + encodeURIComponent(state.office.office_id) + "/availability?service=" + encodeURIComponent(state.service.code))
      .then(function (r) {
        state.days = r.data.days || [];
        if (state.day) state.day = state.days.filter(function (d) { return d.date === state.day.date; })[0] || null;
        renderDays();
      }, function (err) { say("global-msg", HB.errorText(err), "error"); });
  }

  function weekday(date) {
    var d = new Date(date + "T00:00:00Z").getUTCDay();
    return HB.lang() === "en" ? ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d] : "周" + "日一二三四五六"[d];
  }

  function renderDays() {
    var days = $("days"), slots = $("slots"); days.textContent = ""; slots.textContent = "";
    if (!state.office) { days.appendChild(el("p", { class: "hint", text: t("av.pickOffice") })); return; }
    if (!state.days.length) { days.appendChild(el("p", { class: "hint", text: t("av.none") })); return; }
    state.days.forEach(function (d) {
      var left = d.slots.reduce(function (n, s) { return n + s.remaining; }, 0);
      var chosen = state.day && state.day.date === d.date;
      days.appendChild(el("button", { type: "button", class: chosen ? "" : "secondary", "data-date": d.date, "aria-pressed": chosen ? "true" : "false",
        text: d.date.slice(5) + " " + weekday(d.date) + " · " + (left ? t("av.remaining", { n: left }) : t("av.full")),
        on: { click: function () { state.day = d; state.slot = null; renderDays(); renderBooking(); } } }));
    });
    if (!state.day) return;
    state.day.slots.forEach(function (s) {
      var chosen = state.slot && state.slot.start === s.start;
      slots.appendChild(el("button", { type: "button", class: chosen ? "" : "secondary", "data-start": s.start, disabled: s.remaining <= 0,
        "aria-pressed": chosen ? "true" : "false",
        text: s.start + "-" + s.end + " · " + (s.remaining > 0 ? t("av.remaining", { n: s.remaining }) : t("av.full")),
        on: { click: function () { state.slot = s; state.attemptKey = null; renderDays(); renderBooking(); $("booking-h").scrollIntoView(); } } }));
    });
  }

  // ------------------------------------------------------------------ booking
  function renderBooking() {
    var s = state.service, o = state.office, slot = state.slot;
    var ready = s && o && state.day && slot;
    $("booking-summary").textContent = ready ? t("bk.summary", { service: name(s), office: officeName(o), date: state.day.date, start: slot.start, end: slot.end }) : t("bk.pickSlot");
    var notice = $("booking-notice");
    notice.hidden = !s; notice.textContent = s ? (HB.lang() === "en" && s.notice_en ? s.notice_en : s.notice) : "";
    $("book").disabled = !ready;
  }

  function book() {
    say("booking-msg", "");
    if (!state.token) { say("booking-msg", t("bk.loginFirst"), "error"); $("account-h").scrollIntoView(); return; }
    if (!(state.service && state.office && state.day && state.slot)) { say("booking-msg", t("bk.pickSlot"), "error"); return; }
    // one key per attempt: a double tap or a retry of the same choice books once (Idempotent-Replayed)
    if (!state.attemptKey) state.attemptKey = HB.newKey();
    var body = { office_id: state.office.office_id, service_code: state.service.code, date: state.day.date,
      start: state.slot.start, notice_acknowledged: $("ack").checked };
    var subject = $("subject").value.trim().toUpperCase();
    if (subject) body.subject_id_number = subject;
    var btn = $("book"); btn.disabled = true; btn.textContent = t("bk.submitting");
    api("POST", "/v1/bookings", { token: state.token, body: body, headers: { "Idempotency-Key": state.attemptKey } })
      .then(function (r) { state.attemptKey = null; showConfirmation(r.data); loadBookings(); loadAvailability(); },
        function (err) {
          if (err.status && err.status < 500 && err.code !== "RATE_LIMITED") state.attemptKey = null; // a refusal: the next try is a new attempt
          if (err.status === 401) { setToken(null); state.me = null; renderAccount(); }
          say("booking-msg", HB.errorText(err), "error");
        })
      .then(function () { btn.disabled = false; btn.textContent = t("bk.submit"); });
  }

  function icsFor(b) {
    function utc(date, hhmm) {
      var d = new Date(date + "T" + hhmm + ":00+08:00");
      return d.toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z";
    }
    var s = state.byCode[b.service_code];
    var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hallbook//pages//EN", "BEGIN:VEVENT",
      "UID:" + b.booking_id + "@hallbook", "DTSTAMP:" + new Date().toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z",
      "DTSTART:" + utc(b.date, b.start), "DTEND:" + utc(b.date, b.end),
      "SUMMARY:" + (s ? s.name_zh : b.service_code) + " " + b.reference, "LOCATION:" + (b.office_name || b.office_id),
      "DESCRIPTION:" + t("bk.reference") + " " + b.reference, "END:VEVENT", "END:VCALENDAR"];
    return URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/calendar" }));
  }

  function showConfirmation(b) {
    state.lastBooking = b;
    $("confirmation").hidden = false;
    $("conf-reference").textContent = b.reference;
    var s = state.byCode[b.service_code];
    $("conf-details").textContent = (s ? name(s) : b.service_code) + " · " + (b.office_name || b.office_id) + " · " + b.date + " " + b.start + "-" + b.end;
    $("conf-cancel").textContent = t("bk.cancelUntil", { until: HB.hallTime(b.cancel_until) });
    $("conf-ics").href = icsFor(b); $("conf-ics").setAttribute("download", "booking-" + b.reference + ".ics");
    $("conf-frame").hidden = true;
    var heading = $("confirmation-h"); heading.setAttribute("tabindex", "-1"); heading.focus(); heading.scrollIntoView();
  }

  function printConfirmation() {
    var b = state.lastBooking; if (!b) return;
    api("GET", "/v1/bookings/" + encodeURIComponent(b.booking_id) + "/confirmation", { token: state.token }).then(function (r) {
      var frame = $("conf-frame"); frame.hidden = false;
      frame.onload = function () { try { frame.contentWindow.print(); } catch (e) { /* the page is shown anyway */ } frame.onload = null; };
      frame.srcdoc = r.data;
    }, function (err) { say("booking-msg", HB.errorText(err), "error"); });
  }

  // ------------------------------------------------------------------ my bookings
  function loadBookings() {
    if (!state.token) return Promise.resolve();
    return Promise.all([HB.syncClock(), api("GET", "/v1/bookings", { token: state.token })]).then(function (res) {
      renderBookings(res[1].data.bookings || []);
    }, function (err) { say("bookings-msg", HB.errorText(err), "error"); });
  }

  function renderBookings(list) {
    var ul = $("bookings"); ul.textContent = "";
    if (!list.length) { ul.appendChild(el("li", { class: "hint", text: t("my.none") })); return; }
    var now = HB.serverNow();
    list.forEach(function (b) {
      var s = state.byCode[b.service_code];
      var open = b.status === "booked" && new Date(b.cancel_until) > now;
      var item = el("li", { class: "card", "data-booking-id": b.booking_id, "data-reference": b.reference, "data-status": b.status }, [
        el("strong", { text: (s ? name(s) : b.service_code) }), " ",
        el("span", { class: "status status-" + b.status, text: t("st." + b.status) }),
        el("p", { text: (b.office_name || b.office_id) + " · " + b.date + " " + b.start + "-" + b.end }),
        el("p", { class: "hint" }, [t("bk.reference") + " ", el("span", { class: "reference-inline", text: b.reference }), " · " + t("my.subject") + " " + b.subject_id_number]),
        b.status === "booked" ? el("p", { class: "hint", text: open ? t("bk.cancelUntil", { until: HB.hallTime(b.cancel_until) }) : t("bk.cancelClosed", { until: HB.hallTime(b.cancel_until) }) }) : null
      ]);
      if (open) {
        var row = el("div", { class: "row" });
        if (state.confirmCancel === b.booking_id) {
          row.appendChild(el("span", { text: t("my.confirmCancel") }));
          row.appendChild(el("button", { type: "button", class: "confirm-cancel", text: t("my.cancel"), on: { click: function () { cancel(b); } } }));
          row.appendChild(el("button", { type: "button", class: "secondary", text: "×", "aria-label": HB.lang() === "en" ? "Keep the booking" : "不取消",
            on: { click: function () { state.confirmCancel = null; renderBookings(list); } } }));
        } else {
          row.appendChild(el("button", { type: "button", class: "secondary cancel", text: t("my.cancel"),
            "aria-label": t("my.cancel") + " " + b.reference, on: { click: function () { state.confirmCancel = b.booking_id; renderBookings(list); } } }));
        }
        item.appendChild(row);
      }
      ul.appendChild(item);
    });
    state.renderedBookings = list;
  }

  function cancel(b) {
    api("POST", "/v1/bookings/" + encodeURIComponent(b.booking_id) + "/cancel", { token: state.token }).then(function () {
      state.confirmCancel = null; say("bookings-msg", t("my.cancelled"), "ok"); loadBookings(); loadMe(); loadAvailability();
    }, function (err) { state.confirmCancel = null; say("bookings-msg", HB.errorText(err), "error"); loadBookings(); });
  }

  // ------------------------------------------------------------------ start
  function start() {
    HB.wireToolbar(); wireAccount(); showTab("login");
    $("district").addEventListener("change", renderOffices);
    $("book").addEventListener("click", book);
    $("conf-print").addEventListener("click", printConfirmation);
    $("refresh-bookings").addEventListener("click", loadBookings);
    HB.onLang(function () {
      renderServices(); renderDistricts(); renderOffices(); renderDays(); renderBooking(); renderAccount();
      if (state.renderedBookings) renderBookings(state.renderedBookings);
      if (state.lastBooking) showConfirmation(state.lastBooking);
    });
    renderBooking(); renderDistricts();
    api("GET", "/v1/services").then(function (r) {
      state.services = r.data.services || [];
      state.services.forEach(function (s) { state.byCode[s.code] = s; });
      renderServices();
    }, function (err) { say("global-msg", HB.errorText(err), "error"); });
    loadMe();
  }
  start();
})();
