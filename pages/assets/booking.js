// The citizen page: the catalog (search by name, English name, code or pinyin initials), halls, days and
// slots, booking (for whom the service is: self, a minor, a newborn), reschedule, the waitlist, the
// confirmation (printable, .ics), my bookings (own, minors', as a family proxy) and the queue on the day.
(function () {
  "use strict";
  var C = HBC, $ = C.$, t = HB.t, el = HB.el, say = HB.say, state = C.state;
  var b = state.booking = {
    service: null, office: null, offices: [], days: [], day: null, slot: null, attemptKey: null,
    last: null, confirmCancel: null, rescheduling: null, rendered: null, proxyLists: {}, waitlist: [], query: ""
  };

  // ------------------------------------------------------------------ pinyin initials ('sfz' finds 身份证)
  // the first letter of every character of the catalog's service names; a new service's other characters
  // fall back on the browser's pinyin collation (the first character of each letter's range)
  var PY = {
    b: "变簿补边", c: "出查次窗除", d: "丢地登", f: "份复夫父", g: "国更管", h: "含坏恢户换", j: "境居记", k: "口靠",
    l: "理领", m: "母民目门", n: "内女", p: "牌", q: "区妻签请迁", r: "人入", s: "失市损收死生申身首", t: "投通",
    w: "亡务外往", x: "信息续行询销项", y: "业养员异移", z: "住咨子正注证"
  };
  var INITIAL = {};
  Object.keys(PY).forEach(function (letter) { PY[letter].split("").forEach(function (ch) { INITIAL[ch] = letter; }); });
  var BOUNDS = "阿八嚓哒妸发旮哈讥咔垃痳拏噢妑七呥仨它屲夕丫帀", LETTERS = "abcdefghjklmnopqrstwxyz";
  var collator = window.Intl && Intl.Collator ? new Intl.Collator("zh-Hans-CN-u-co-pinyin") : null;
  function initialOf(ch) {
    if (INITIAL[ch]) return INITIAL[ch];
    if (/[a-z0-9]/i.test(ch)) return ch.toLowerCase();
    if (!/[\u4e00-\u9fff]/.test(ch) || !collator) return "";
    for (var i = BOUNDS.length - 1; i >= 0; i--) if (collator.compare(ch, BOUNDS[i]) >= 0) return LETTERS[i];
    return "";
  }
  var initialsCache = {};
  function initials(text) {
    if (!initialsCache[text]) initialsCache[text] = text.split("").map(initialOf).join("");
    return initialsCache[text];
  }
  function matches(s, q) {
    if (!q) return true;
    var lower = q.toLowerCase().replace(/\s+/g, "");
    return s.name_zh.indexOf(q) >= 0 || (s.name_en || "").toLowerCase().indexOf(q.toLowerCase()) >= 0 ||
      s.code.toLowerCase().indexOf(lower) >= 0 || (/^[a-z]+$/.test(lower) && initials(s.name_zh).indexOf(lower) >= 0);
  }
  C.initials = initials;

  // ------------------------------------------------------------------ catalog
  function materialsOf(s) { return (C.en() && s.materials_en && s.materials_en.length ? s.materials_en : s.materials) || []; }
  function noticeOf(s) { return C.en() && s.notice_en ? s.notice_en : s.notice; }

  function renderGate() {
    // limits and suspension before the form: above the catalog and above the booking button
    ["catalogue-gate", "booking-gate"].forEach(function (id) {
      var box = $(id); box.textContent = "";
      if (!state.me) {
        if (id === "booking-gate") box.appendChild(el("p", { class: "message", text: t("bk.loginFirst") }));
        return;
      }
      C.restrictionLines().forEach(function (l) { if (l[1]) box.appendChild(el("p", { class: "message " + l[1], text: l[0] })); });
    });
  }

  function renderServices() {
    var list = $("services"); list.textContent = "";
    $("catalogue-search").hidden = !!b.service;
    var shown = b.service ? [b.service] : state.services.filter(function (s) { return matches(s, b.query); });
    $("search-count").textContent = b.service || !b.query ? "" : t("cat.found", { n: shown.length });
    if (!shown.length && state.services.length) list.appendChild(el("li", { class: "hint", text: t("cat.noMatch") }));
    shown.forEach(function (s) {
      var chosen = b.service && b.service.code === s.code;
      var action = chosen
        ? el("button", { type: "button", class: "secondary change", text: t("cat.change"), on: { click: resetService } })
        : s.appointment_required ? el("button", { type: "button", class: "secondary choose", "aria-label": t("cat.choose") + ": " + C.serviceName(s),
          text: t("cat.choose"), on: { click: function () { chooseService(s); } } }) : null;
      list.appendChild(el("li", { class: "card" + (chosen ? " chosen" : ""), "data-service-code": s.code, "data-walk-in": s.appointment_required ? null : "true" }, [
        el("strong", { text: C.serviceName(s) }),
        s.appointment_required ? null : el("span", { class: "badge walkin", text: t("cat.walkIn") }),
        s.subject && s.subject !== "self" ? el("span", { class: "badge", text: t("subj." + s.subject) }) : null,
        el("details", { open: chosen }, [
          el("summary", { text: t("cat.materials") + " · " + t("cat.notice") }),
          el("h3", { class: "hint", text: t("cat.materials") }),
          el("ul", {}, materialsOf(s).map(function (m) { return el("li", { text: m }); })),
          el("h3", { class: "hint", text: t("cat.notice") }),
          el("p", { text: noticeOf(s) })
        ]),
        action ? el("div", { class: "row" }, [action]) : null
      ]));
    });
  }

  function clearChoice() { b.office = null; b.days = []; b.day = null; b.slot = null; b.attemptKey = null; }

  function resetService() {
    b.service = null; b.offices = []; clearChoice(); stopReschedule(true);
    renderAll(); $("catalogue-h").scrollIntoView();
  }

  function chooseService(s, officeId) {
    b.service = s; clearChoice();
    renderServices(); renderDays(); renderBooking();
    return HB.api("GET", "/v1/offices?service=" + encodeURIComponent(s.code)).then(function (r) {
      b.offices = r.data.offices || [];
      b.offices.forEach(function (o) { state.officesById[o.office_id] = o; });
      renderDistricts(); renderOffices();
      var keep = officeId && b.offices.filter(function (o) { return o.office_id === officeId; })[0];
      if (keep) return chooseOffice(keep);
      $("offices-h").scrollIntoView({ block: "start" });
    }, C.fail("global-msg"));
  }

  // ------------------------------------------------------------------ halls
  function renderDistricts() {
    var sel = $("district"), current = sel.value; sel.textContent = "";
    sel.appendChild(el("option", { value: "", text: t("off.allDistricts") }));
    Array.from(new Set(b.offices.map(function (o) { return o.district; }))).sort().forEach(function (d) {
      sel.appendChild(el("option", { value: d, text: d, selected: d === current }));
    });
  }

  // opening hours: the hall's own when the API gives them, else the spans of the chosen service's slots
  function hoursOf(o) {
    if (o.opening_hours) return typeof o.opening_hours === "string" ? o.opening_hours : [].concat(o.opening_hours).join(C.en() ? ", " : "，");
    if (!b.office || b.office.office_id !== o.office_id || !b.days.length) return "";
    var spans = [];
    b.days.forEach(function (d) { d.slots.forEach(function (s) { spans.push([s.start, s.end]); }); });
    spans.sort(function (x, y) { return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0; });
    var merged = [];
    spans.forEach(function (s) {
      var last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) { if (s[1] > last[1]) last[1] = s[1]; } else merged.push([s[0], s[1]]);
    });
    return t("off.workdays") + " " + merged.map(function (m) { return m[0] + "–" + m[1]; }).join(C.en() ? ", " : "，");
  }

  function renderOffices() {
    var list = $("office-list"); list.textContent = "";
    if (!b.service) { list.appendChild(el("li", { class: "hint", text: t("off.pickService") })); return; }
    var district = $("district").value;
    var shown = b.office ? [b.office] : b.offices.filter(function (o) { return !district || o.district === district; });
    $("district").disabled = !!b.office;
    if (!shown.length) list.appendChild(el("li", { class: "hint", text: t("off.none") }));
    shown.forEach(function (o) {
      var chosen = b.office && b.office.office_id === o.office_id, hours = hoursOf(o);
      list.appendChild(el("li", { class: "card" + (chosen ? " chosen" : ""), "data-office-id": o.office_id }, [
        el("strong", { text: C.officeName(o) }), " ", el("span", { class: "badge", text: o.district }),
        el("p", { class: "hint addr", text: t("off.address") + " " + o.address }),
        o.phone ? el("p", { class: "hint" }, [t("off.phone") + " ", el("a", { href: "tel:" + o.phone.replace(/[^0-9+]/g, ""), text: o.phone })]) : null,
        hours ? el("p", { class: "hint hours", text: t("off.hours") + " " + hours }) : null,
        el("p", { class: "hint", text: o.mode === "book_first" ? t("off.modeBookFirst") : t("off.modePriority") }),
        chosen ? el("button", { type: "button", class: "secondary change", text: t("off.change"),
          on: { click: function () { clearChoice(); renderOffices(); renderDays(); renderBooking(); } } })
          : el("button", { type: "button", class: "secondary choose", "aria-label": t("off.choose") + ": " + C.officeName(o), text: t("off.choose"),
            on: { click: function () { chooseOffice(o); } } })
      ]));
    });
  }

  function chooseOffice(o) {
    b.office = o; b.day = null; b.slot = null; b.attemptKey = null; renderOffices(); renderBooking();
    return loadAvailability().then(function () { $("availability-h").scrollIntoView({ block: "start" }); });
  }

  function loadAvailability() {
    if (!b.office || !b.service) return Promise.resolve();
    return HB.api("GET", "/v1/offices/" + encodeURIComponent(b.office.office_id) + "/availability?service=" + encodeURIComponent(b.service.code))
      .then(function (r) {
        b.days = r.data.days || [];
        if (b.day) b.day = b.days.filter(function (d) { return d.date === b.day.date; })[0] || null;
        if (b.slot && b.day) b.slot = b.day.slots.filter(function (s) { return s.start === b.slot.start; })[0] || null;
        renderDays(); renderOffices();
      }, C.fail("global-msg"));
  }
  C.loadAvailability = loadAvailability;

  // ------------------------------------------------------------------ days and slots
  function weekday(date) {
    var d = new Date(date + "T00:00:00Z").getUTCDay();
    return C.en() ? ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d] : "周" + "日一二三四五六"[d];
  }
  function left(n) { return el("span", { class: "left" + (n ? "" : " none"), text: "· " + (n ? t("av.remaining", { n: n }) : t("av.full")) }); }

  function renderDays() {
    var days = $("days"), slots = $("slots"); days.textContent = ""; slots.textContent = "";
    $("days-hint").hidden = true; renderWait();
    if (!b.office) { days.appendChild(el("p", { class: "hint", text: t("av.pickOffice") })); return; }
    if (!b.days.length) { days.appendChild(el("p", { class: "hint", text: t("av.none") })); return; }
    b.days.forEach(function (d) {
      var n = d.slots.reduce(function (sum, s) { return sum + s.remaining; }, 0);
      var chosen = b.day && b.day.date === d.date;
      days.appendChild(el("button", { type: "button", class: (chosen ? "" : "secondary") + (n ? "" : " full"), "data-date": d.date, "aria-pressed": chosen ? "true" : "false",
        on: { click: function () { b.day = d; b.slot = null; renderDays(); renderBooking(); } } },
        [el("span", { text: d.date.slice(5) + " " + weekday(d.date) + " " }), left(n)]));
    });
    updateHint();
    if (!b.day) return;
    b.day.slots.forEach(function (s) {
      var chosen = b.slot && b.slot.start === s.start;
      slots.appendChild(el("button", { type: "button", class: (chosen ? "" : "secondary") + (s.remaining > 0 ? "" : " full"), "data-start": s.start,
        "aria-pressed": chosen ? "true" : "false",
        on: { click: function () { b.slot = s; b.attemptKey = null; renderDays(); renderBooking(); if (s.remaining > 0) $("booking-h").scrollIntoView(); } } },
        [el("span", { text: s.start + "-" + s.end + " " }), left(s.remaining)]));
    });
  }

  // the day row scrolls sideways: say so while some of it is out of sight
  function updateHint() {
    var days = $("days"), hint = $("days-hint");
    var more = days.scrollWidth > days.clientWidth + 4;
    hint.hidden = !more;
    if (more) hint.textContent = t("av.scrollHint", { n: b.days.length });
    days.classList.toggle("overflow", more);
  }

  function renderWait() {
    // a full day or a full slot: the waitlist instead of the booking button (R18)
    var box = $("wait-box");
    var fullDay = b.day && !b.day.slots.some(function (s) { return s.remaining > 0; });
    var fullSlot = b.slot && b.slot.remaining <= 0;
    box.hidden = !(b.day && (fullDay || fullSlot)) || !!b.rescheduling;
    if (box.hidden) return;
    $("wait-text").textContent = fullSlot ? t("wl.slotFull", { date: b.day.date, start: b.slot.start }) : t("wl.dayFull", { date: b.day.date });
  }

  function joinWaitlist() {
    say("booking-msg", "");
    if (!state.token) { say("booking-msg", t("bk.loginFirst"), "error"); return; }
    var body = { office_id: b.office.office_id, service_code: b.service.code, date: b.day.date };
    if (b.slot && b.slot.remaining <= 0) body.start = b.slot.start;
    var who = subjectOf();
    if (who.error) { say("booking-msg", who.error, "error"); return; }
    if (who.subject_id_number) body.subject_id_number = who.subject_id_number;
    C.busy($("wait-join"), C.call("POST", "/v1/waitlist", { body: body })).then(function () {
      say("booking-msg", t("wl.joined"), "ok"); loadBookings(); $("waitlist-h").scrollIntoView();
    }, C.fail("booking-msg"));
  }

  // ------------------------------------------------------------------ booking: for whom
  function subjectKind() {
    var s = b.service;
    if (!s) return "self";
    return s.subject || "self_or_minor";  // without `subject` (an older API): ask, the child's ID optional
  }

  function renderSubject() {
    var kind = subjectKind(), box = $("subject-box");
    var proxy = actingProxy();
    box.hidden = !b.service || kind === "self" || !!b.rescheduling || !!proxy;
    $("subject-choice").hidden = kind !== "self_or_minor";
    var forMinor = kind === "minor" || (kind === "self_or_minor" && document.querySelector("input[name=subject-kind]:checked").value === "minor");
    $("minor-fields").hidden = !forMinor;
    $("newborn-fields").hidden = kind !== "newborn";
    $("subject-legend").textContent = kind === "newborn" ? t("bk.legendNewborn") : kind === "minor" ? t("bk.legendMinor") : t("bk.legendWho");
    var linked = state.links.filter(function (l) { return l.status === "active"; });
    $("minor-hint").textContent = linked.length ? t("bk.linked", { ids: linked.map(function (l) { return l.minor_id_number; }).join(C.en() ? ", " : "、") }) : t("bk.noLinked");
  }

  // what the booking names as its subject: {subject_id_number} / {newborn} / {} for oneself, or {error}
  function subjectOf() {
    var kind = subjectKind();
    if (actingProxy() || b.rescheduling) return {};
    if (kind === "newborn") {
      var nb = { name: $("newborn-name").value.trim(), birth_certificate_number: $("newborn-cert").value.replace(/[\s-]/g, "").toUpperCase() };
      if (!nb.name) return { error: t("err.field", { field: t("bk.newbornName") }) };
      if (!/^[A-Z0-9]{8,12}$/.test(nb.birth_certificate_number)) return { error: t("err.field", { field: t("bk.newbornCert") }) };
      return { newborn: nb };
    }
    var minor = !$("minor-fields").hidden ? C.idNumber($("subject").value) : "";
    if (kind === "minor" || minor || !$("minor-fields").hidden) {
      if (!/^[0-9]{17}[0-9X]$/.test(minor)) return { error: t("err.field", { field: t("bk.minorId") }) };
      return { subject_id_number: minor };
    }
    return {};
  }

  function actingProxy() {
    var v = $("acting").value;
    return v ? state.proxies.filter(function (p) { return p.proxy_id === v; })[0] || null : null;
  }

  function renderActing() {
    var held = state.proxies.filter(function (p) { return p.you_are === "proxy" && p.status === "active"; });
    var sel = $("acting"), current = sel.value; sel.textContent = "";
    $("acting-row").hidden = !held.length || !!b.rescheduling;
    sel.appendChild(el("option", { value: "", text: t("bk.actSelf") }));
    held.forEach(function (p) { sel.appendChild(el("option", { value: p.proxy_id, text: t("bk.actFor", { name: p.citizen.name }), selected: p.proxy_id === current })); });
  }

  // ------------------------------------------------------------------ booking
  function renderBooking() {
    var s = b.service, o = b.office, slot = b.slot;
    var ready = s && o && b.day && slot && slot.remaining > 0;
    $("booking-summary").textContent = ready ? t("bk.summary", { service: C.serviceName(s), office: C.officeName(o), date: b.day.date, start: slot.start, end: slot.end }) : t("bk.pickSlot");
    var notice = $("booking-notice");
    notice.hidden = !s || !!b.rescheduling; notice.textContent = s ? noticeOf(s) : "";
    var rs = b.rescheduling;
    $("reschedule-banner").hidden = !rs; $("reschedule-cancel").hidden = !rs;
    $("ack").parentNode.hidden = !!rs;
    if (rs) $("reschedule-banner").textContent = t("rs.banner", { service: serviceLabel(rs), date: rs.date, start: rs.start });
    $("book").textContent = rs ? t("rs.submit") : t("bk.submit");
    var kind = subjectKind(), radio = document.querySelector("input[name=subject-kind]:checked");
    var forSelf = kind === "self" || (kind === "self_or_minor" && (!radio || radio.value === "self"));
    var selfBlocked = C.blocked() && !actingProxy() && forSelf;  // a minor's or a relative's booking is theirs
    $("book").disabled = !ready || selfBlocked;
    renderSubject(); renderActing(); renderGate(); renderWait();
  }

  function book() {
    say("booking-msg", "");
    if (!state.token) { say("booking-msg", t("bk.loginFirst"), "error"); $("account-h").scrollIntoView(); return; }
    if (!(b.service && b.office && b.day && b.slot)) { say("booking-msg", t("bk.pickSlot"), "error"); return; }
    if (b.rescheduling) return reschedule();
    if (!$("ack").checked) { say("booking-msg", t("err.NOTICE_NOT_ACKNOWLEDGED"), "error"); $("ack").focus(); return; }
    var who = subjectOf();
    if (who.error) { say("booking-msg", who.error, "error"); return; }
    // one key per attempt: a double tap or a retry of the same choice books once (Idempotent-Replayed)
    if (!b.attemptKey) b.attemptKey = HB.newKey();
    var body = { office_id: b.office.office_id, service_code: b.service.code, date: b.day.date, start: b.slot.start, notice_acknowledged: true };
    if (who.subject_id_number) body.subject_id_number = who.subject_id_number;
    if (who.newborn) body.newborn = who.newborn;
    var proxy = actingProxy();
    var path = proxy ? "/v1/proxies/" + encodeURIComponent(proxy.proxy_id) + "/bookings" : "/v1/bookings";
    submit(path, body, function (booking) { booking._proxy = proxy ? proxy.proxy_id : null; showConfirmation(booking); });
  }

  function submit(path, body, done) {
    var btn = $("book"); btn.disabled = true; btn.textContent = t("bk.submitting");
    C.call("POST", path, { body: body, headers: { "Idempotency-Key": b.attemptKey } })
      .then(function (r) { b.attemptKey = null; done(r.data); loadBookings(); loadAvailability(); C.loadMe(); },
        function (err) {
          if (err.status && err.status < 500 && err.code !== "RATE_LIMITED") b.attemptKey = null; // a refusal: the next try is a new attempt
          say("booking-msg", HB.errorText(err), "error");
        })
      .then(function () { renderBooking(); });
  }

  // ------------------------------------------------------------------ reschedule (R8a)
  function serviceLabel(booking) {
    var s = state.byCode[booking.service_code];
    return s ? C.serviceName(s) : booking.service_name_zh || booking.service_code;
  }

  function startReschedule(booking) {
    var s = state.byCode[booking.service_code];
    if (!s) return;
    b.rescheduling = booking; b.attemptKey = null; say("booking-msg", "");
    chooseService(s, booking.office_id).then(function () { renderBooking(); $("availability-h").scrollIntoView({ block: "start" }); });
  }

  function stopReschedule(quiet) {
    if (!b.rescheduling) return;
    b.rescheduling = null; b.attemptKey = null;
    if (!quiet) renderBooking();
  }

  function reschedule() {
    var rs = b.rescheduling;
    if (!b.attemptKey) b.attemptKey = HB.newKey();
    var body = { date: b.day.date, start: b.slot.start };
    if (b.office.office_id !== rs.office_id) body.office_id = b.office.office_id;
    submit("/v1/bookings/" + encodeURIComponent(rs.booking_id) + "/reschedule", body, function (booking) {
      b.rescheduling = null; showConfirmation(booking); say("bookings-msg", t("rs.done"), "ok");
    });
  }

  // ------------------------------------------------------------------ confirmation, print, .ics
  function icsText(v) { return String(v).replace(/\\/g, "\\\\").replace(/[,;]/g, function (c) { return "\\" + c; }).replace(/\n/g, "\\n"); }
  function icsFor(bk) {
    function utc(date, hhmm) { return new Date(date + "T" + hhmm + ":00+08:00").toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z"; }
    var o = state.officesById[bk.office_id];
    var where = (o ? o.name + " " + o.address : bk.office_name || bk.office_id);
    var what = serviceLabel(bk) + " " + bk.reference;
    var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hallbook//pages//EN", "METHOD:PUBLISH", "BEGIN:VEVENT",
      "UID:" + bk.booking_id + "@hallbook", "DTSTAMP:" + new Date().toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z",
      "DTSTART:" + utc(bk.date, bk.start), "DTEND:" + utc(bk.date, bk.end),
      "SUMMARY:" + icsText(what), "LOCATION:" + icsText(where),
      "DESCRIPTION:" + icsText(t("bk.reference") + " " + bk.reference + (o && o.phone ? " · " + o.phone : "") + " · " + t("bk.cancelUntil", { until: HB.hallTime(bk.cancel_until) })),
      "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-P1D", "DESCRIPTION:" + icsText(what), "END:VALARM",
      "END:VEVENT", "END:VCALENDAR"];
    return URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/calendar" }));
  }

  function showConfirmation(bk) {
    b.last = bk;
    $("confirmation").hidden = false;
    $("conf-reference").textContent = bk.reference;
    var o = state.officesById[bk.office_id];
    $("conf-details").textContent = serviceLabel(bk) + " · " + (o ? C.officeName(o) : bk.office_name || bk.office_id) + " · " + bk.date + " " + bk.start + "-" + bk.end;
    $("conf-cancel").textContent = t("bk.cancelUntil", { until: HB.hallTime(bk.cancel_until) });
    $("conf-ics").href = icsFor(bk); $("conf-ics").setAttribute("download", "booking-" + bk.reference + ".ics");
    var heading = $("confirmation-h"); heading.setAttribute("tabindex", "-1"); heading.focus(); heading.scrollIntoView();
  }
  function hideConfirmation(bookingId) {
    if (b.last && (!bookingId || b.last.booking_id === bookingId)) { b.last = null; $("confirmation").hidden = true; }
  }

  function confirmationPath(bk) {
    return bk._proxy ? "/v1/proxies/" + encodeURIComponent(bk._proxy) + "/bookings/" + encodeURIComponent(bk.booking_id) + "/confirmation"
      : "/v1/bookings/" + encodeURIComponent(bk.booking_id) + "/confirmation";
  }

  // the confirmation as a document of its own on this page, styled by app.css (its own inline style and
  // print button would break the page's CSP): everything else hides, the browser prints just it
  function printConfirmation(bk, msgBox) {
    return C.call("GET", confirmationPath(bk)).then(function (r) {
      // its inline style and handlers go before parsing (even an inert document reports them to the CSP)
      var html = String(r.data).replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, "").replace(/\s(on\w+|style)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, "");
      var doc = new DOMParser().parseFromString(html, "text/html");
      doc.querySelectorAll("script,style,link,meta,button,iframe,object,embed,form").forEach(function (n) { n.remove(); });
      doc.querySelectorAll("*").forEach(function (n) {
        Array.prototype.slice.call(n.attributes).forEach(function (a) { if (/^on/i.test(a.name) || a.name === "style") n.removeAttribute(a.name); });
      });
      var target = $("print-doc"); target.textContent = "";
      target.setAttribute("data-status", bk.status || "");
      target.setAttribute("lang", doc.documentElement.getAttribute("lang") || (C.en() ? "en" : "zh-CN"));
      Array.prototype.slice.call(doc.body.childNodes).forEach(function (n) { target.appendChild(document.importNode(n, true)); });
      document.body.classList.add("printing"); $("print-view").hidden = false;
      window.scrollTo(0, 0); target.focus();
      try { window.print(); } catch (e) { /* the view stays; the print button is there */ }
    }, C.fail(msgBox));
  }
  function closePrint() {
    document.body.classList.remove("printing"); $("print-view").hidden = true; $("print-doc").textContent = "";
  }

  // ------------------------------------------------------------------ my bookings, the queue, the waitlist
  var queueTimer = null;
  function loadBookings() {
    if (!state.token) return Promise.resolve();
    var held = state.proxies.filter(function (p) { return p.you_are === "proxy" && p.status === "active"; });
    return Promise.all([HB.syncClock(), C.call("GET", "/v1/bookings"), C.call("GET", "/v1/waitlist").catch(function () { return { data: { entries: [] } }; })]
      .concat(held.map(function (p) {
        return C.call("GET", "/v1/proxies/" + encodeURIComponent(p.proxy_id) + "/bookings").then(function (r) { return { proxy: p, list: r.data.bookings || [] }; }, function () { return { proxy: p, list: [] }; });
      }))).then(function (res) {
      b.rendered = res[1].data.bookings || [];
      b.waitlist = res[2].data.entries || [];
      b.proxyLists = res.slice(3);
      renderMine();
      var all = b.proxyLists.reduce(function (acc, x) { return acc.concat(x.list); }, b.rendered);
      var last = b.last && all.filter(function (x) { return x.booking_id === b.last.booking_id; })[0];
      if (last && last.status !== "booked") hideConfirmation(last.booking_id);
      scheduleQueue();
    }, C.fail("bookings-msg"));
  }
  C.loadBookings = loadBookings;

  function scheduleQueue() {
    // on the day: while a booking is checked in, its place in the queue is read again every 20 s
    clearTimeout(queueTimer);
    if ((b.rendered || []).some(function (x) { return x.status === "checked_in"; })) {
      queueTimer = setTimeout(function () { if (!document.hidden) loadBookings(); else scheduleQueue(); }, 20000);
    }
  }

  function bookingItem(bk, proxy) {
    var open = (bk.status === "booked") && new Date(bk.cancel_until) > HB.serverNow();
    bk._proxy = proxy ? proxy.proxy_id : null;
    var item = el("li", { class: "card", "data-booking-id": bk.booking_id, "data-reference": bk.reference, "data-status": bk.status }, [
      el("strong", { text: serviceLabel(bk) }), " ",
      el("span", { class: "status status-" + bk.status, text: t("st." + bk.status) }),
      el("p", { text: (state.officesById[bk.office_id] ? C.officeName(state.officesById[bk.office_id]) : bk.office_name || bk.office_id) + " · " + bk.date + " " + bk.start + "-" + bk.end }),
      el("p", { class: "hint" }, [t("bk.reference") + " ", el("span", { class: "reference-inline", text: bk.reference }), " · " + t("my.subject") + " " + (bk.newborn ? bk.newborn.name : bk.subject_id_number)]),
      bk.status === "booked" ? el("p", { class: "hint cutoff", text: open ? t("bk.cancelUntil", { until: HB.hallTime(bk.cancel_until) }) : t("bk.cancelClosed", { until: HB.hallTime(bk.cancel_until) }) }) : null,
      bk.queue ? el("p", { class: "message ok queue", text: t("q.line", { ticket: bk.queue.ticket, n: bk.queue.ahead }) }) : null
    ]);
    var row = el("div", { class: "row" });
    if (bk.status === "booked" || bk.status === "checked_in") {
      row.appendChild(el("button", { type: "button", class: "secondary print", text: t("bk.print"), "aria-label": t("bk.print") + " " + bk.reference,
        on: { click: function () { printConfirmation(bk, "bookings-msg"); } } }));
    }
    if (open && !proxy && state.byCode[bk.service_code]) {
      row.appendChild(el("button", { type: "button", class: "secondary reschedule", text: t("rs.start"), "aria-label": t("rs.start") + " " + bk.reference,
        on: { click: function () { startReschedule(bk); } } }));
    }
    if (open) {
      if (b.confirmCancel === bk.booking_id) {
        row.appendChild(el("span", { text: t("my.confirmCancel") }));
        row.appendChild(el("button", { type: "button", class: "confirm-cancel danger", text: t("my.cancel"), on: { click: function () { cancel(bk, proxy); } } }));
        row.appendChild(el("button", { type: "button", class: "secondary keep", text: t("my.keep"), on: { click: function () { b.confirmCancel = null; renderMine(); } } }));
      } else {
        row.appendChild(el("button", { type: "button", class: "secondary cancel", text: t("my.cancel"), "aria-label": t("my.cancel") + " " + bk.reference,
          on: { click: function () { b.confirmCancel = bk.booking_id; renderMine(); } } }));
      }
    }
    if (row.childNodes.length) item.appendChild(row);
    return item;
  }

  function renderMine() {
    var logged = !!state.me;
    $("my-login").hidden = logged; $("refresh-bookings").parentNode.hidden = !logged; $("waitlist-h").hidden = !logged;
    var ul = $("bookings"); ul.textContent = "";
    var px = $("proxy-bookings"); px.textContent = "";
    var wl = $("waitlist"); wl.textContent = "";
    if (!logged || !b.rendered) return;
    if (!b.rendered.length) ul.appendChild(el("li", { class: "hint", text: t("my.none") }));
    b.rendered.forEach(function (bk) { ul.appendChild(bookingItem(bk, null)); });
    b.proxyLists.forEach(function (x) {
      px.appendChild(el("h3", { text: t("my.forProxy", { name: x.proxy.citizen.name }) }));
      var list = el("ul", { class: "list", "data-proxy-id": x.proxy.proxy_id });
      if (!x.list.length) list.appendChild(el("li", { class: "hint", text: t("my.none") }));
      x.list.forEach(function (bk) { list.appendChild(bookingItem(bk, x.proxy)); });
      px.appendChild(list);
    });
    var entries = b.waitlist.filter(function (e) { return e.status === "waiting" || e.status === "offered"; });
    if (!entries.length) wl.appendChild(el("li", { class: "hint", text: t("wl.none") }));
    entries.forEach(function (e) { wl.appendChild(waitItem(e)); });
  }

  function waitItem(e) {
    var s = state.byCode[e.service_code];
    var item = el("li", { class: "card", "data-waitlist-id": e.waitlist_id, "data-status": e.status }, [
      el("strong", { text: s ? C.serviceName(s) : e.service_name_zh || e.service_code }), " ",
      el("span", { class: "status status-" + e.status, text: t("wl.st." + e.status) }),
      el("p", { text: (e.office_name || e.office_id) + " · " + e.date + " " + (e.start || t("wl.anySlot")) }),
      el("p", { class: "hint", text: t("my.subject") + " " + e.subject_id_number })
    ]);
    var row = el("div", { class: "row" });
    if (e.status === "offered" && e.offer) {
      item.appendChild(el("p", { class: "message warn", text: t("wl.offer", { date: e.date, start: e.offer.start, end: e.offer.end, until: HB.hallTime(e.offer.until) }) }));
      var ackId = "ack-" + e.waitlist_id;
      item.appendChild(el("label", { class: "check", for: ackId }, [el("input", { type: "checkbox", id: ackId }), " ", el("span", { text: t("bk.ack") })]));
      row.appendChild(el("button", { type: "button", class: "accept", text: t("wl.accept"), on: { click: function (ev) {
        if (!$(ackId).checked) { say("bookings-msg", t("err.NOTICE_NOT_ACKNOWLEDGED"), "error"); return; }
        C.busy(ev.target, C.call("POST", "/v1/waitlist/" + encodeURIComponent(e.waitlist_id) + "/accept", { body: { notice_acknowledged: true } }))
          .then(function (r) { say("bookings-msg", t("wl.accepted"), "ok"); showConfirmation(r.data); loadBookings(); }, C.fail("bookings-msg"));
      } } }));
    }
    row.appendChild(el("button", { type: "button", class: "secondary leave", text: e.status === "offered" ? t("wl.decline") : t("wl.leave"), on: { click: function (ev) {
      C.busy(ev.target, C.call("DELETE", "/v1/waitlist/" + encodeURIComponent(e.waitlist_id)))
        .then(function () { say("bookings-msg", e.status === "offered" ? t("wl.declined") : t("wl.left"), "ok"); loadBookings(); }, C.fail("bookings-msg"));
    } } }));
    item.appendChild(row);
    return item;
  }

  function cancel(bk, proxy) {
    var path = proxy ? "/v1/proxies/" + encodeURIComponent(proxy.proxy_id) + "/bookings/" + encodeURIComponent(bk.booking_id) + "/cancel"
      : "/v1/bookings/" + encodeURIComponent(bk.booking_id) + "/cancel";
    C.call("POST", path).then(function () {
      b.confirmCancel = null; hideConfirmation(bk.booking_id);
      if (b.rescheduling && b.rescheduling.booking_id === bk.booking_id) stopReschedule();
      say("bookings-msg", t("my.cancelled"), "ok"); loadBookings(); C.loadMe(); loadAvailability();
    }, function (err) { b.confirmCancel = null; say("bookings-msg", HB.errorText(err), "error"); loadBookings(); });
  }

  // ------------------------------------------------------------------ wiring
  function renderAll() {
    renderServices(); renderDistricts(); renderOffices(); renderDays(); renderBooking(); renderMine();
    if (b.last) showConfirmation(b.last);
  }

  C.on("start", function () {
    var gate = el("div", { id: "catalogue-gate" });
    $("catalogue").insertBefore(gate, $("catalogue-search"));
    $("service-search").addEventListener("input", function (e) { b.query = e.target.value.trim(); renderServices(); });
    $("district").addEventListener("change", renderOffices);
    $("book").addEventListener("click", book);
    $("wait-join").addEventListener("click", joinWaitlist);
    $("reschedule-cancel").addEventListener("click", function () { stopReschedule(); say("booking-msg", ""); });
    $("acting").addEventListener("change", renderBooking);
    document.querySelectorAll("input[name=subject-kind]").forEach(function (r) { r.addEventListener("change", renderBooking); });
    $("conf-print").addEventListener("click", function () { if (b.last) printConfirmation(b.last, "booking-msg"); });
    $("print-now").addEventListener("click", function () { window.print(); });
    $("print-back").addEventListener("click", closePrint);
    $("refresh-bookings").addEventListener("click", loadBookings);
    window.addEventListener("resize", function () { if (b.days.length) updateHint(); });
    renderBooking(); renderDistricts(); renderMine();
  });
  C.on("services", renderServices);
  C.on("me", function () {
    // a new account's bookings load once its family (the proxies it holds) is known: C.on("family")
    if (!state.me) { b.rendered = null; b.proxyLists = []; b.waitlist = []; hideConfirmation(); stopReschedule(true); clearTimeout(queueTimer); }
    renderBooking(); renderMine();
  });
  C.on("family", function () { renderBooking(); if (state.me) loadBookings(); });
  C.on("lang", renderAll);
})();
