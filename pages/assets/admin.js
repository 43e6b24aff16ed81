// The administrators' console (issue 26): services, halls with their weekly timetables, closures,
// calendar years, drawn services (R23), abuse flags, the audit log and statistics drawn as SVG here
// (no chart library: nothing is loaded from outside). Every edit sends the ETag it read as If-Match;
// when another administrator saved first (412) the page shows what they changed and lets this one
// choose: save mine over theirs, or load theirs.
(function () {
  "use strict";
  var t = HB.t, api = HB.api, el = HB.el;
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem("hallbook.adminToken");
  var services = {}, serviceList = [], offices = [], loaded = {};
  var svcTag = null, svcIsNew = false;
  var office = null, officeBase = null, officeTag = null, grids = {}, ttCode = null, pendingBody = null;
  var calTag = null, calReads = 0, auditCursor = null, officeReads = 0, svcReads = 0, statsReads = 0;
  var SUBJECTS = ["self", "minor", "newborn", "self_or_minor"];

  function msg(text, kind) { HB.say("msg", text, kind); if (text) $("msg").scrollIntoView({ block: "nearest" }); }
  function fail(err) { msg(HB.errorText(err), "error"); if (err && err.status === 401) logout(); }
  function call(method, path, opts) { opts = opts || {}; opts.token = token; return api(method, path, opts); }
  function enc(s) { return encodeURIComponent(s); }
  function en() { return HB.lang() === "en"; }
  function svcName(code) { var s = services[code]; return s ? (en() ? s.name_en : s.name_zh) : code; }
  function officeName(o) { return en() && o.name_en ? o.name_en : o.name; }
  function lines(text) { return text.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); }
  function isoDay(d) { return new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 10); }
  function today() { return isoDay(HB.serverNow()); }
  function addDays(iso, n) { var d = new Date(iso + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); }
  function fill(select, items, value) {
    select.textContent = "";
    items.forEach(function (it) { select.appendChild(el("option", { value: it[0], text: it[1] })); });
    if (value && items.some(function (it) { return it[0] === value; })) select.value = value;
  }

  // ------------------------------------------------------------------ login and sections

  function enter() {
    $("login-form").hidden = true; $("console").hidden = false; $("logout").hidden = false;
    Promise.all([call("GET", "/v1/me"), call("GET", "/v1/services"), call("GET", "/v1/offices"), HB.syncClock()]).then(function (r) {
      if (r[0].data.role && r[0].data.role !== "admin") { msg(t("err.FORBIDDEN"), "error"); return; }
      serviceList = r[1].data.services || []; services = {};
      serviceList.forEach(function (s) { services[s.code] = s; });
      offices = (r[2].data.offices || []).slice().sort(function (a, b) { return a.office_id < b.office_id ? -1 : 1; });
      document.querySelectorAll(".office-pick").forEach(function (s) {
        fill(s, offices.map(function (o) { return [o.office_id, officeName(o)]; }), s.value || (offices[0] && offices[0].office_id));
      });
      show(location.hash.slice(1) || HB.store.get("admin.section") || "catalog");
    }).catch(fail);
  }

  function logout() {
    if (token) api("DELETE", "/v1/sessions/current", { token: token }).catch(function () { /* gone anyway */ });
    token = null; sessionStorage.removeItem("hallbook.adminToken"); loaded = {};
    $("login-form").hidden = false; $("console").hidden = true; $("logout").hidden = true; $("login").focus();
  }

  var LOADERS = {
    catalog: function () { renderServicePick(); }, offices: function () { loadOffice($("office-pick").value); },
    closures: loadClosures, calendar: function () { readYear(); }, draws: renderDraws, flags: loadFlags,
    audit: function () { loadAudit(true); }, stats: function () { initStats(); showStats(); }
  };

  function show(name) {
    if (!LOADERS[name]) name = "catalog";
    document.querySelectorAll("[data-sec]").forEach(function (s) { s.hidden = s.id !== "sec-" + name; });
    document.querySelectorAll("[data-section]").forEach(function (b) {
      if (b.getAttribute("data-section") === name) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
    });
    HB.store.set("admin.section", name);
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
    msg("");
    if (!loaded[name]) { loaded[name] = true; LOADERS[name](); }
  }

  // ------------------------------------------------------------------ services (R3)

  function renderServicePick(value) {
    fill($("svc-pick"), serviceList.map(function (s) {
      return [s.code, s.code + " · " + svcName(s.code) + (s.appointment_required ? "" : " (" + t("adm.svc.walkIn") + ")")];
    }), value || $("svc-pick").value || (serviceList[0] && serviceList[0].code));
    fill($("svc-subject"), SUBJECTS.map(function (s) { return [s, t("adm.subject." + s)]; }), $("svc-subject").value || "self");
    if ($("svc-pick").value) loadService($("svc-pick").value);
  }

  function loadService(code) {
    var asked = ++svcReads;
    call("GET", "/v1/services/" + enc(code)).then(function (r) {
      if (asked !== svcReads) return;
      svcTag = r.headers.get("ETag"); svcIsNew = false; fillService(r.data);
    }, fail);
  }

  function fillService(s) {
    $("svc-code").value = s.code || ""; $("svc-code").readOnly = !svcIsNew;
    ["name_zh", "name_en", "category", "notice", "notice_en"].forEach(function (k) { $("svc-" + k).value = s[k] || ""; });
    $("svc-materials").value = (s.materials || []).join("\n"); $("svc-materials_en").value = (s.materials_en || []).join("\n");
    $("svc-appointment_required").checked = s.appointment_required !== false;
    $("svc-subject-box").hidden = s.subject === undefined && !svcIsNew;  // once the API has `subject`
    if (s.subject) $("svc-subject").value = s.subject;
  }

  function saveService(e) {
    e.preventDefault();
    var code = $("svc-code").value.trim().toUpperCase();
    if (!/^[A-Z0-9_]+$/.test(code)) { msg(t("err.VALIDATION_ERROR"), "error"); $("svc-code").focus(); return; }
    var body = {
      name_zh: $("svc-name_zh").value.trim(), name_en: $("svc-name_en").value.trim(), category: $("svc-category").value.trim(),
      appointment_required: $("svc-appointment_required").checked, materials: lines($("svc-materials").value),
      materials_en: lines($("svc-materials_en").value), notice: $("svc-notice").value.trim(), notice_en: $("svc-notice_en").value.trim()
    };
    if (!$("svc-subject-box").hidden) body.subject = $("svc-subject").value;
    var headers = svcIsNew ? {} : { "If-Match": svcTag || "*" };
    call("PUT", "/v1/services/" + enc(code), { body: body, headers: headers }).then(function (r) {
      svcTag = r.headers.get("ETag"); svcIsNew = false; services[code] = r.data;
      if (!serviceList.some(function (s) { return s.code === code; })) serviceList.push(r.data);
      else serviceList = serviceList.map(function (s) { return s.code === code ? r.data : s; });
      msg(t("adm.saved"), "ok"); renderServicePick(code);
    }, function (err) {
      if (err.status === 412) { msg(t("err.PRECONDITION_FAILED") + " " + HB.errorText(err), "error"); return; }
      if (err.status === 400 && /subject/.test(JSON.stringify(err.problem))) { $("svc-subject-box").hidden = true; }
      fail(err);
    });
  }

  // ------------------------------------------------------------------ halls and their weekly grid (R4)

  function rowKey(r) { return r.start + "–" + r.end; }
  function gridOf(templates) {
    var rows = {};
    (templates || []).forEach(function (tp) {
      var k = tp.start + "|" + tp.end;
      var row = rows[k] || (rows[k] = { start: tp.start, end: tp.end, caps: [0, 0, 0, 0, 0, 0, 0] });
      tp.days.forEach(function (d) { row.caps[d - 1] = tp.capacity; });
    });
    return Object.keys(rows).map(function (k) { return rows[k]; }).sort(function (a, b) { return a.start < b.start ? -1 : 1; });
  }
  function templatesOf(rows) {
    var out = [];
    rows.forEach(function (row) {
      var byCap = {};
      row.caps.forEach(function (c, i) { if (c > 0) (byCap[c] = byCap[c] || []).push(i + 1); });
      Object.keys(byCap).forEach(function (c) { out.push({ days: byCap[c], start: row.start, end: row.end, capacity: Number(c) }); });
    });
    return out;
  }

  function loadOffice(id, quiet) {
    if (!id) return Promise.resolve();
    var asked = ++officeReads;
    return call("GET", "/v1/offices/" + enc(id)).then(function (r) {
      if (asked !== officeReads) return;  // another hall was picked meanwhile
      office = r.data; officeBase = r.data; officeTag = r.headers.get("ETag"); pendingBody = null;
      $("conflict").hidden = true; if (!quiet) $("office-result").hidden = true;
      fillOffice(office);
    }, fail);
  }

  function fillOffice(o) {
    ["name", "name_en", "district", "phone", "address"].forEach(function (k) { $("of-" + k).value = o[k] || ""; });
    $("of-mode").value = o.mode;
    var box = $("of-services"); box.textContent = "";
    serviceList.forEach(function (s) {
      var id = "of-svc-" + s.code;
      box.appendChild(el("label", { "class": "check", "for": id }, [
        el("input", { type: "checkbox", id: id, value: s.code, checked: o.services.indexOf(s.code) >= 0, on: { change: renderTtPick } }),
        s.code + " · " + svcName(s.code)
      ]));
    });
    grids = {};
    Object.keys(o.timetable || {}).forEach(function (code) { grids[code] = gridOf(o.timetable[code]); });
    renderTtPick();
  }

  function offered() {
    return Array.prototype.map.call(document.querySelectorAll("#of-services input:checked"), function (i) { return i.value; });
  }

  function renderTtPick() {
    var codes = offered().filter(function (c) { return !services[c] || services[c].appointment_required; });
    if (codes.indexOf(ttCode) < 0) ttCode = codes[0] || null;
    fill($("tt-service"), codes.map(function (c) { return [c, c + " · " + svcName(c)]; }), ttCode);
    renderGrid();
  }

  function renderGrid() {
    var body = $("tt-body"); body.textContent = "";
    $("tt-caption").textContent = ttCode ? t("adm.tt.caption", { service: svcName(ttCode) }) : "";
    if (!ttCode) return;
    var rows = grids[ttCode] || (grids[ttCode] = []);
    rows.forEach(function (row, n) {
      var cells = [el("th", { scope: "row", text: rowKey(row) })];
      row.caps.forEach(function (c, i) {
        cells.push(el("td", {}, [el("input", {
          type: "number", min: "0", max: "999", inputmode: "numeric", value: c ? String(c) : "", "class": "cap",
          "aria-label": t("adm.tt.cell", { day: t("adm.wd." + (i + 1)), time: rowKey(row) }),
          "data-row": String(n), "data-day": String(i + 1),
          on: { change: function (e) { row.caps[i] = Math.max(0, parseInt(e.target.value, 10) || 0); } }
        })]));
      });
      cells.push(el("td", {}, [el("button", {
        type: "button", "class": "secondary small", text: "×", "aria-label": t("adm.tt.removeRow", { time: rowKey(row) }),
        on: { click: function () { rows.splice(n, 1); renderGrid(); } }
      })]));
      body.appendChild(el("tr", { "data-slot": rowKey(row) }, cells));
    });
  }

  function addRow() {
    if (!ttCode) return;
    var start = $("tt-start").value, end = $("tt-end").value, cap = Math.max(0, parseInt($("tt-cap").value, 10) || 0);
    var rows = grids[ttCode] || (grids[ttCode] = []);
    var clash = rows.some(function (r) { return start < r.end && r.start < end; });
    if (!/^\d\d:\d\d$/.test(start) || !/^\d\d:\d\d$/.test(end) || end <= start || clash) { msg(t("adm.tt.badTime"), "error"); return; }
    rows.push({ start: start, end: end, caps: [cap, cap, cap, cap, cap, 0, 0] });
    rows.sort(function (a, b) { return a.start < b.start ? -1 : 1; });
    msg(""); renderGrid();
  }

  function officeBody() {
    var codes = offered(), timetable = {};
    codes.forEach(function (c) { if (grids[c] && grids[c].length) { var tp = templatesOf(grids[c]); if (tp.length) timetable[c] = tp; } });
    return {
      name: $("of-name").value.trim(), name_en: $("of-name_en").value.trim(), region: office.region, district: $("of-district").value.trim(),
      address: $("of-address").value.trim(), phone: $("of-phone").value.trim(), kind: office.kind || "", mode: $("of-mode").value,
      services: codes, timetable: timetable
    };
  }

  function putOffice(body, tag) {
    pendingBody = body;
    return call("PUT", "/v1/offices/" + enc(office.office_id), { body: body, headers: { "If-Match": tag } }).then(function (r) {
      officeTag = r.headers.get("ETag"); office = officeBase = r.data.office; pendingBody = null; $("conflict").hidden = true;
      showSlots(r.data.slots); msg(t("adm.saved"), "ok");
    }, function (err) {
      if (err.status !== 412) { fail(err); return; }
      call("GET", "/v1/offices/" + enc(office.office_id)).then(function (r) { showConflict(r.data, r.headers.get("ETag")); }, fail);
    });
  }

  function showSlots(s) {
    var box = $("office-result"); box.textContent = ""; box.hidden = false;
    if (s.queued) { box.appendChild(el("p", { text: t("adm.office.queued", { n: s.slots_to_change }) })); return; }
    box.appendChild(el("p", { text: t("adm.office.saved", s) }));
    var list = el("ul");
    (s.over_capacity || []).forEach(function (x) { list.appendChild(el("li", { text: t("adm.office.over", Object.assign({}, x, { service: svcName(x.service_code) })) })); });
    (s.closed_with_bookings || []).forEach(function (x) { list.appendChild(el("li", { text: t("adm.office.closedWith", Object.assign({}, x, { service: svcName(x.service_code) })) })); });
    if (list.childNodes.length) box.appendChild(list);
  }

  // what an office says, one line a field or a timetable cell, for "what changed"
  function flatOffice(o) {
    var out = {};
    ["name", "name_en", "district", "address", "phone", "mode"].forEach(function (k) { out[t("adm.office." + (k === "name_en" ? "nameEn" : k))] = o[k] || ""; });
    out[t("adm.office.services")] = (o.services || []).slice().sort().join(", ");
    Object.keys(o.timetable || {}).forEach(function (code) {
      gridOf(o.timetable[code]).forEach(function (row) {
        row.caps.forEach(function (c, i) { if (c) out[code + " " + rowKey(row) + " " + t("adm.wd." + (i + 1))] = String(c); });
      });
    });
    return out;
  }

  function showConflict(theirs, tag) {
    officeTag = tag;
    var before = flatOffice(officeBase), now = flatOffice(theirs), list = $("conflict-list"); list.textContent = "";
    Object.keys(Object.assign({}, before, now)).sort().forEach(function (k) {
      if (before[k] !== now[k]) list.appendChild(el("li", { text: t("adm.conflict.item", { field: k, was: before[k] || "—", now: now[k] || "—" }) }));
    });
    if (!list.childNodes.length) list.appendChild(el("li", { text: t("adm.conflict.same") }));
    officeBase = theirs;
    $("conflict").hidden = false; $("conflict").focus && $("conflict").scrollIntoView({ block: "nearest" });
    msg(t("err.PRECONDITION_FAILED"), "error");
  }

  // ------------------------------------------------------------------ closures (R4)

  function loadClosures() {
    var id = $("cl-office").value;
    if (!id) return;
    $("cl-preview").hidden = true;
    if (!$("cl-date").value) $("cl-date").value = addDays(today(), 1);
    call("GET", "/v1/offices/" + enc(id) + "/closures").then(function (r) {
      var body = $("cl-list"); body.textContent = "";
      var future = r.data.closures.filter(function (c) { return !c.past; });
      if (!future.length) body.appendChild(el("tr", {}, [el("td", { colspan: "3", text: t("adm.none") })]));
      future.forEach(function (c) {
        body.appendChild(el("tr", { "data-date": c.date }, [el("td", { text: c.date }), el("td", { text: c.reason }), el("td", {}, [
          el("button", { type: "button", "class": "secondary small", text: t("adm.cl.lift"), "aria-label": t("adm.cl.liftDay", { date: c.date }),
            on: { click: function () { liftClosure(id, c.date); } } })
        ])]));
      });
    }, fail);
  }

  function previewClosure(e) {
    e.preventDefault();
    var id = $("cl-office").value, day = $("cl-date").value, reason = $("cl-reason").value.trim();
    if (!day || !reason) { msg(t("err.VALIDATION_ERROR"), "error"); (day ? $("cl-reason") : $("cl-date")).focus(); return; }
    call("GET", "/v1/offices/" + enc(id) + "/closures/" + enc(day)).then(function (r) {
      var p = r.data, text;
      if (p.past) { msg(t("adm.cl.past"), "error"); return; }
      text = p.closed ? t("adm.cl.previewClosed", p) : t("adm.cl.preview", p);
      if (!p.working_day && !p.closed) text += " " + t("adm.cl.previewHoliday", p);
      $("cl-preview-text").textContent = text; $("cl-preview").hidden = false; $("cl-confirm").disabled = p.closed; $("cl-confirm").focus();
    }, fail);
  }

  function confirmClosure() {
    var id = $("cl-office").value, day = $("cl-date").value;
    call("POST", "/v1/offices/" + enc(id) + "/closures", { body: { date: day, reason: $("cl-reason").value.trim() } }).then(function (r) {
      msg(t("adm.cl.done", { date: r.data.date, n: r.data.bookings_cancelled }), "ok"); loadClosures();
    }, fail);
  }

  function liftClosure(id, day) {
    call("DELETE", "/v1/offices/" + enc(id) + "/closures/" + enc(day)).then(function (r) {
      msg(t("adm.cl.lifted", { date: day, n: r.data.slots_reopened + r.data.slots_created }), "ok"); loadClosures();
    }, fail);
  }

  // ------------------------------------------------------------------ calendar years (R5)

  function readYear() {
    var input = $("cal-year");
    if (!input.value) { var now = HB.serverNow(); input.value = String(now.getUTCFullYear() + (now.getUTCMonth() >= 10 ? 1 : 0)); }
    var year = input.value, asked = ++calReads;
    $("cal-result").hidden = true;
    call("GET", "/v1/calendar/" + enc(year)).then(function (r) {
      if (asked !== calReads) return;  // a later read was asked for meanwhile: its answer rules
      var c = r.data, box = $("cal-state"); box.textContent = "";
      calTag = r.headers.get("ETag");
      box.appendChild(el("p", { "data-source": c.source, text: t("adm.cal.state", {
        year: c.year, source: t("adm.cal.source." + c.source), by: c.bundled_by && c.source === "official" ? t("adm.cal.by", { name: c.bundled_by }) : ""
      }) }));
      box.appendChild(el("p", { "class": c.alarm ? "message error" : "hint", "data-alarm": c.alarm ? "on" : "off",
        text: c.alarm ? t("adm.cal.alarm", { year: c.year }) : t("adm.cal.noAlarm") }));
      box.appendChild(el("p", { text: t("adm.cal.off", { n: c.holidays.length }) + " " + c.holidays.join(", ") }));
      box.appendChild(el("p", { text: t("adm.cal.work", { n: c.workdays.length }) + " " + (c.workdays.join(", ") || "—") }));
      var entered = c.entered || c;
      $("cal-holidays").value = (entered.holidays || []).join("\n"); $("cal-workdays").value = (entered.workdays || []).join("\n");
    }, fail);
  }

  function saveYear(e) {
    e.preventDefault();
    var year = $("cal-year").value, holidays = lines($("cal-holidays").value), workdays = lines($("cal-workdays").value);
    var bad = holidays.concat(workdays).filter(function (d) { return !/^\d{4}-\d\d-\d\d$/.test(d) || d.slice(0, 4) !== year; });
    if (bad.length) { msg(t("adm.cal.badDate", { d: bad.join(", ") }), "error"); return; }
    call("PUT", "/v1/calendar/" + enc(year), { body: { holidays: holidays, workdays: workdays }, headers: calTag ? { "If-Match": calTag } : {} }).then(function (r) {
      var c = r.data, box = $("cal-result"); box.textContent = ""; box.hidden = false;
      box.appendChild(el("p", { text: t("adm.cal.saved", { changed: c.changed_days.join(", ") || "—" }) }));
      c.closed_days.forEach(function (d) {
        var o = offices.filter(function (x) { return x.office_id === d.office_id; })[0];
        box.appendChild(el("p", { text: t("adm.cal.closedDay", { office: o ? officeName(o) : d.office_id, date: d.date, n: d.bookings_cancelled }) }));
      });
      if (c.opened_days && c.opened_days.length) box.appendChild(el("p", { text: t("adm.cal.opened", { days: c.opened_days.join(", "), at: HB.hallTime(c.released_at) }) }));
      msg(t("adm.saved"), "ok"); readYear(); $("cal-result").hidden = false;
    }, function (err) { if (err.status === 412) readYear(); fail(err); });
  }

  // ------------------------------------------------------------------ drawn services (R23)

  function renderDraws() {
    var regions = {};
    offices.forEach(function (o) { regions[o.region] = true; });
    fill($("draw-region"), Object.keys(regions).sort().map(function (r) { return [r, r]; }), $("draw-region").value);
    fill($("draw-service"), serviceList.filter(function (s) { return s.appointment_required; }).map(function (s) { return [s.code, s.code + " · " + svcName(s.code)]; }), $("draw-service").value);
  }

  function draw(method) {
    var region = $("draw-region").value, code = $("draw-service").value, minutes = parseInt($("draw-minutes").value, 10) || 10;
    var vars = { region: region, service: svcName(code), minutes: minutes };
    call(method, "/v1/regions/" + enc(region) + "/draws/" + enc(code), method === "PUT" ? { body: { entry_minutes: minutes } } : {}).then(function (r) {
      var box = $("draw-result"), d = r.data || {}; box.hidden = false; box.textContent = "";
      box.appendChild(el("p", { "data-drawn": d.drawn ? "yes" : "no", text: t(method === "PUT" ? "adm.draw.marked" : "adm.draw.ended", Object.assign(vars, {
        minutes: d.entry_minutes || minutes, from: d.from_day || "", until: d.until_day || "" })) }));
      if (d.next_draw_id) box.appendChild(el("p", {}, [el("a", { href: (window.HALLBOOK_CONFIG.api || "") + "/v1/draws/" + enc(d.next_draw_id), text: t("adm.draw.record") })]));
      msg(t("adm.saved"), "ok");
    }, function (err) {
      if (err.status === 405 || (err.status === 404 && /no route/i.test((err.problem && err.problem.detail) || ""))) { msg(t("adm.draw.missing"), "error"); return; }
      fail(err);
    });
  }

  // ------------------------------------------------------------------ abuse flags (R22)

  function loadFlags() {
    var status = $("flag-status").value;
    call("GET", "/v1/admin/flags" + (status ? "?status=" + enc(status) : "")).then(function (r) {
      var list = $("flag-list"); list.textContent = "";
      if (!r.data.flags.length) list.appendChild(el("li", { text: t("adm.none") }));
      r.data.flags.forEach(function (f) { list.appendChild(flagCard(f)); });
    }, fail);
  }

  function flagCard(f) {
    var keys = {};
    f.evidence.forEach(function (e) { Object.keys(e).forEach(function (k) { keys[k] = true; }); });
    keys = Object.keys(keys);
    var table = el("table", {}, [el("thead", {}, [el("tr", {}, keys.map(function (k) { return el("th", { scope: "col", text: k }); }))]),
      el("tbody", {}, f.evidence.map(function (e) { return el("tr", {}, keys.map(function (k) { return el("td", { text: e[k] === undefined ? "" : String(e[k]) }); })); }))]);
    var noteId = "note-" + f.flag_id, card = el("li", { "class": "card", "data-flag": f.flag_id, "data-status": f.status }, [
      el("h3", { text: f.pattern + (f.subject ? " · " + f.subject : "") }), el("p", { text: f.what }),
      el("p", { "class": "hint", text: t("adm.flag.count", { count: f.count, threshold: f.threshold === null ? "—" : f.threshold }) + " · " + t("adm.flag.raised", { at: HB.hallTime(f.raised_at) }) }),
      el("details", {}, [el("summary", { text: t("adm.flag.evidence", { n: f.evidence.length }) }), el("div", { "class": "table-wrap" }, [table])])
    ]);
    if (f.status === "reviewed") {
      card.appendChild(el("p", { "class": "status status-completed", text: t("adm.flag.reviewedBy", { who: f.reviewed_by || "", at: HB.hallTime(f.reviewed_at), note: f.review_note || "" }) }));
    } else {
      card.appendChild(el("label", { "for": noteId, text: t("adm.flag.note") }));
      card.appendChild(el("input", { id: noteId, maxlength: "500" }));
      card.appendChild(el("div", { "class": "row" }, [el("button", { type: "button", text: t("adm.flag.review"), on: { click: function () {
        call("POST", "/v1/admin/flags/" + enc(f.flag_id) + "/review", { body: { note: $(noteId).value.trim() || null } }).then(function () {
          msg(t("adm.flag.done"), "ok"); loadFlags();
        }, fail);
      } } })]));
    }
    return card;
  }

  // ------------------------------------------------------------------ the audit log

  function loadAudit(first) {
    if (!$("audit-date").value) $("audit-date").value = today();
    if (first) { auditCursor = null; $("audit-list").textContent = ""; }
    var q = "?limit=50&date=" + enc($("audit-date").value) + (auditCursor ? "&cursor=" + enc(auditCursor) : "");
    call("GET", "/v1/audit" + q).then(function (r) {
      var body = $("audit-list");
      if (first && !r.data.entries.length) body.appendChild(el("tr", {}, [el("td", { colspan: "6", text: t("adm.none") })]));
      r.data.entries.forEach(function (e) {
        var detail = {};
        ["before", "after", "detail"].forEach(function (k) { if (e[k] !== null && e[k] !== undefined) detail[k] = e[k]; });
        body.appendChild(el("tr", { "data-action": e.action }, [
          el("td", { text: HB.hallTime(e.at) }), el("td", { text: (e.actor_role || "") + " " + (e.actor_id || "") }),
          el("td", { text: e.action }), el("td", { text: e.target }), el("td", { text: e.outcome }),
          el("td", {}, Object.keys(detail).length ? [el("details", {}, [el("summary", { text: t("adm.audit.show") }), el("pre", { text: JSON.stringify(detail, null, 1) })])] : [])
        ]));
      });
      auditCursor = r.data.next_cursor; $("audit-more").hidden = !auditCursor;
    }, fail);
  }

  // ------------------------------------------------------------------ statistics, drawn as SVG

  function initStats() {
    fill($("st-service"), [["", t("adm.st.all")]].concat(serviceList.filter(function (s) { return s.appointment_required; }).map(function (s) { return [s.code, s.code + " · " + svcName(s.code)]; })), $("st-service").value);
    if (!$("st-from").value) { $("st-from").value = addDays(today(), -7); $("st-to").value = addDays(today(), 14); }
  }

  function statsQuery(id) {
    var q = "?office=" + enc(id) + "&from=" + enc($("st-from").value) + "&to=" + enc($("st-to").value);
    return q + ($("st-service").value ? "&service=" + enc($("st-service").value) : "");
  }

  function showStats(e) {
    if (e) e.preventDefault();
    var id = $("st-office").value, box = $("charts"), asked = ++statsReads; box.textContent = t("adm.loading");
    Promise.all([call("GET", "/v1/stats" + statsQuery(id))].concat(offices.map(function (o) {
      return call("GET", "/v1/stats" + statsQuery(o.office_id)).catch(function () { return null; });
    }))).then(function (res) { if (asked === statsReads) drawStats(res[0].data.days, res.slice(1)); }, fail);
  }

  function sum(rows, k) { return rows.reduce(function (a, r) { return a + (r[k] || 0); }, 0); }
  function ratio(a, b) { return b ? a / b : null; }

  function drawStats(rows, perHall) {
    var box = $("charts"); box.textContent = "";
    if (!rows.length) { box.appendChild(el("p", { text: t("adm.st.noData") })); return; }
    var byDay = {}, byService = {};
    rows.forEach(function (r) { (byDay[r.date] = byDay[r.date] || []).push(r); (byService[r.service_code] = byService[r.service_code] || []).push(r); });
    var days = Object.keys(byDay).sort(), labels = days.map(function (d) { return d.slice(5); });
    var day = days.map(function (d) {
      var rs = byDay[d], called = sum(rs, "called"), waited = rs.reduce(function (a, r) { return a + (r.average_wait_seconds || 0) * (r.called || 0); }, 0);
      return {
        date: d, capacity: sum(rs, "capacity"), booked: sum(rs, "booked"), no_shows: sum(rs, "no_shows"), cancellations: sum(rs, "cancellations"),
        citizen: rs.reduce(function (a, r) { return a + r.cancelled_by.citizen; }, 0), operator: rs.reduce(function (a, r) { return a + r.cancelled_by.operator; }, 0),
        hall: rs.reduce(function (a, r) { return a + r.cancelled_by.hall; }, 0), walk_ins: sum(rs, "walk_ins"), wait: called ? waited / called / 60 : null
      };
    });
    box.appendChild(chart("util", t("adm.st.util"), labels, [{ values: day.map(function (x) { return ratio(x.booked, x.capacity); }) }], { percent: true }));
    box.appendChild(chart("noshow", t("adm.st.noShow"), labels, [{ values: day.map(function (x) { return ratio(x.no_shows, x.booked); }) }], { percent: true }));
    box.appendChild(chart("cancel", t("adm.st.cancel"), labels, [
      { name: t("adm.st.byCitizen"), values: day.map(function (x) { return x.citizen; }) },
      { name: t("adm.st.byOperator"), values: day.map(function (x) { return x.operator; }) },
      { name: t("adm.st.byHall"), values: day.map(function (x) { return x.hall; }) }], { stacked: true }));
    box.appendChild(chart("wait", t("adm.st.wait"), labels, [{ values: day.map(function (x) { return x.wait; }) }], {}));
    var codes = Object.keys(byService).sort();
    box.appendChild(chart("services", t("adm.st.services"), codes.map(svcName), [{ values: codes.map(function (c) {
      return ratio(sum(byService[c], "booked"), sum(byService[c], "capacity"));
    }) }], { percent: true }));
    var halls = offices.map(function (o, i) { var d = perHall[i] && perHall[i].data ? perHall[i].data.days : []; return [officeName(o), ratio(sum(d, "booked"), sum(d, "capacity"))]; });
    box.appendChild(chart("halls", t("adm.st.halls"), halls.map(function (h) { return h[0]; }), [{ values: halls.map(function (h) { return h[1]; }) }], { percent: true }));
    var table = el("table", {}, [el("thead", {}, [el("tr", {}, ["adm.st.day", "adm.st.capacity", "adm.st.booked", "adm.st.noShows", "adm.st.cancellations", "adm.st.walkIns", "adm.st.waitMin"].map(function (k) { return el("th", { scope: "col", text: t(k) }); }))]),
      el("tbody", {}, day.map(function (x) {
        return el("tr", {}, [x.date, x.capacity, x.booked, x.no_shows, x.cancellations, x.walk_ins, x.wait === null ? "—" : x.wait.toFixed(1)].map(function (v, i) { return el(i ? "td" : "th", i ? { text: String(v) } : { scope: "row", text: String(v) }); }));
      }))]);
    box.appendChild(el("details", {}, [el("summary", { text: t("adm.st.table") }), el("div", { "class": "table-wrap" }, [table])]));
  }

  // one bar chart (stacked when asked), labelled for screen readers; values null are gaps
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function chart(id, title, labels, series, opts) {
    var W = 420, H = 250, L = 40, B = 66, T = 10, plotW = W - L - 8, plotH = H - B - T;
    var totals = labels.map(function (_, i) { return series.reduce(function (a, s) { return a + (s.values[i] || 0); }, 0); });
    var max = opts.percent ? 1 : Math.max(1, Math.max.apply(null, opts.stacked ? totals : series[0].values.map(function (v) { return v || 0; })));
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "ch-" + id + "-t", "class": "chart", "data-chart": id });
    root.appendChild(svg("title", { id: "ch-" + id + "-t" }, title));
    [0, 0.5, 1].forEach(function (f) {
      var y = T + plotH - f * plotH;
      root.appendChild(svg("line", { x1: L, x2: W - 8, y1: y, y2: y, "class": "grid" }));
      root.appendChild(svg("text", { x: L - 4, y: y + 4, "text-anchor": "end", "class": "axis" }, opts.percent ? Math.round(f * 100) + "%" : String(Math.round(f * max * 10) / 10)));
    });
    var band = plotW / Math.max(1, labels.length), bar = Math.max(2, band * 0.7);
    labels.forEach(function (label, i) {
      var x = L + i * band + (band - bar) / 2, base = T + plotH;
      series.forEach(function (s, k) {
        var v = s.values[i];
        if (v === null || v === undefined) return;
        var h = Math.min(plotH, (v / max) * plotH);
        var r = svg("rect", { x: x.toFixed(1), y: (base - h).toFixed(1), width: bar.toFixed(1), height: h.toFixed(1), "class": "s" + k });
        r.appendChild(svg("title", {}, label + (s.name ? " " + s.name : "") + ": " + (opts.percent ? Math.round(v * 100) + "%" : (Math.round(v * 10) / 10))));
        root.appendChild(r);
        if (opts.stacked) base -= h;
      });
      if (labels.length <= 12 || i % Math.ceil(labels.length / 12) === 0) {
        root.appendChild(svg("text", { x: (x + bar / 2).toFixed(1), y: H - B + 16, "text-anchor": "end", transform: "rotate(-35 " + (x + bar / 2).toFixed(1) + " " + (H - B + 16) + ")", "class": "axis" }, label.length > 9 ? label.slice(0, 8) + "…" : label));
      }
    });
    var figure = el("figure", { "class": "card" }, [el("figcaption", { text: title })]);
    figure.appendChild(root);
    if (series.length > 1) {
      figure.appendChild(el("p", { "class": "legend" }, series.map(function (s, k) { return el("span", { "class": "key s" + k, text: s.name }); })));
    }
    return figure;
  }

  function downloadCsv() {
    var id = $("st-office").value;
    call("GET", "/v1/stats" + statsQuery(id), { headers: { Accept: "text/csv" } }).then(function (r) {
      var name = "hallbook-stats-" + id + "-" + $("st-from").value + "-" + $("st-to").value + ".csv";
      var link = el("a", { href: URL.createObjectURL(new Blob([r.data], { type: "text/csv" })), download: name, text: name, "data-csv": "1" });
      msg(t("adm.st.csvReady"), "ok"); $("msg").appendChild(document.createTextNode(" ")); $("msg").appendChild(link);
      link.click();
    }, fail);
  }

  // ------------------------------------------------------------------ wiring

  HB.wireToolbar();
  HB.onLang(function () { if (token && !$("console").hidden) { loaded = {}; enter(); } });
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = { login: $("login").value.trim(), password: $("password").value };
    if ($("totp").value.trim()) body.totp_code = $("totp").value.trim();
    api("POST", "/v1/sessions", { body: body }).then(function (r) {
      token = r.data.token; sessionStorage.setItem("hallbook.adminToken", token); $("password").value = ""; msg(""); enter();
    }, fail);
  });
  $("logout").addEventListener("click", logout);
  document.querySelectorAll("[data-section]").forEach(function (b) { b.addEventListener("click", function () { show(b.getAttribute("data-section")); }); });
  $("svc-pick").addEventListener("change", function () { loadService($("svc-pick").value); });
  $("svc-new").addEventListener("click", function () {
    svcIsNew = true; svcTag = null;
    fillService({ code: "", appointment_required: true, subject: $("svc-subject-box").hidden ? undefined : "self" });
    $("svc-code").focus();
  });
  $("svc-form").addEventListener("submit", saveService);
  $("office-pick").addEventListener("change", function () { loadOffice($("office-pick").value); });
  $("tt-service").addEventListener("change", function () { ttCode = $("tt-service").value; renderGrid(); });
  $("tt-add").addEventListener("click", addRow);
  $("office-form").addEventListener("submit", function (e) { e.preventDefault(); if (office) putOffice(officeBody(), officeTag); });
  $("conflict-mine").addEventListener("click", function () { if (pendingBody) putOffice(officeBody(), officeTag); });
  $("conflict-theirs").addEventListener("click", function () { loadOffice(office.office_id); msg(""); });
  $("cl-office").addEventListener("change", loadClosures);
  $("cl-form").addEventListener("submit", previewClosure);
  $("cl-confirm").addEventListener("click", confirmClosure);
  $("cl-cancel").addEventListener("click", function () { $("cl-preview").hidden = true; });
  $("cal-pick").addEventListener("submit", function (e) { e.preventDefault(); readYear(); });
  $("cal-form").addEventListener("submit", saveYear);
  $("draw-form").addEventListener("submit", function (e) { e.preventDefault(); draw("PUT"); });
  $("draw-end").addEventListener("click", function () { draw("DELETE"); });
  $("flag-status").addEventListener("change", loadFlags);
  $("audit-form").addEventListener("submit", function (e) { e.preventDefault(); loadAudit(true); });
  $("audit-more").addEventListener("click", function () { loadAudit(false); });
  $("stats-form").addEventListener("submit", showStats);
  $("st-csv").addEventListener("click", downloadCsv);
  if (token) enter(); else $("login").focus();
})();
