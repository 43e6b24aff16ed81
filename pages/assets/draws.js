// Fair release (R23, 摇号) on the citizen page: enter the draw of a drawn day during its entry period,
// see one's entries (entered, won with the booking, lost with the reason and rank) and each draw's
// public record (places, entries, winners, the seed's hash before the draw and the seed after it).
// Its own strings and its own section (#draws); the session is the citizen page's (sessionStorage).
(function () {
  "use strict";
  var I = window.HALLBOOK_I18N;
  var zh = {
    "dr.title": "摇号报名",
    "dr.intro": "部分事项的新放号源以摇号分配：12:00起的报名时间内每人报名一次，截止后随机抽签，先后与快慢不影响结果。",
    "dr.office": "办理大厅",
    "dr.service": "办理事项",
    "dr.date": "预约日期",
    "dr.starts": "首选时段（最多三个，按优先顺序；留空表示当天任意时段）",
    "dr.start1": "第一选择 (HH:MM)",
    "dr.start2": "第二选择 (HH:MM)",
    "dr.start3": "第三选择 (HH:MM)",
    "dr.anyOffice": "本大厅无号时，接受本区其他大厅",
    "dr.waitlist": "未中签时登记候补",
    "dr.subject": "为未成年子女报名时填写其身份证号（可选）",
    "dr.submit": "提交报名",
    "dr.mine": "我的摇号",
    "dr.refresh": "刷新",
    "dr.none": "暂无摇号报名。",
    "dr.loginFirst": "请先登录后再报名。",
    "dr.entered": "报名成功，截止时间 {closes}；摇号结果将以短信通知。",
    "dr.status.entered": "已报名，等待摇号",
    "dr.status.won": "已中签",
    "dr.status.lost": "未中签",
    "dr.reason.no_place": "号源已分完",
    "dr.reason.ineligible": "摇号时不符合预约条件",
    "dr.reason.refused": "预约未能完成",
    "dr.rank": "抽签顺序第 {rank} 位",
    "dr.booking": "预约编号 {id}",
    "dr.waitlisted": "已登记候补",
    "dr.record": "查看公示",
    "dr.recordTitle": "摇号公示",
    "dr.places": "号源 {places} 个",
    "dr.entries": "报名 {entries} 人",
    "dr.winners": "中签 {winners} 人",
    "dr.seedHash": "种子哈希（报名前公布）",
    "dr.seed": "种子（摇号后公布）",
    "dr.seedLater": "摇号后公布",
    "dr.algorithm": "算法",
    "err.DRAW_OPEN": "该日号源以摇号分配，请在下方摇号报名。",
    "err.DRAW_CLOSED": "当前不在该日的摇号报名时间内。"
  };
  var en = {
    "dr.title": "Enter a draw",
    "dr.intro": "Some services' new places are drawn by lot: from 12:00, during the entry period, each person enters once; at the close the places are drawn at random, so being first or fast changes nothing.",
    "dr.office": "Service hall",
    "dr.service": "Service",
    "dr.date": "Date",
    "dr.starts": "Preferred times (up to three, best first; none: any time that day)",
    "dr.start1": "First choice (HH:MM)",
    "dr.start2": "Second choice (HH:MM)",
    "dr.start3": "Third choice (HH:MM)",
    "dr.anyOffice": "If this hall has no place, any hall of the district",
    "dr.waitlist": "If not drawn, put me on the waitlist",
    "dr.subject": "For your child: the child's ID number (optional)",
    "dr.submit": "Enter the draw",
    "dr.mine": "My draws",
    "dr.refresh": "Refresh",
    "dr.none": "No entries yet.",
    "dr.loginFirst": "Log in to enter a draw.",
    "dr.entered": "Entered. Entries close at {closes}; the result comes by SMS.",
    "dr.status.entered": "Entered, waiting for the draw",
    "dr.status.won": "Drawn",
    "dr.status.lost": "Not drawn",
    "dr.reason.no_place": "all places were drawn",
    "dr.reason.ineligible": "not eligible to book at the draw",
    "dr.reason.refused": "the booking could not be made",
    "dr.rank": "drawn in place {rank}",
    "dr.booking": "booking {id}",
    "dr.waitlisted": "on the waitlist",
    "dr.record": "Public record",
    "dr.recordTitle": "Draw record",
    "dr.places": "{places} places",
    "dr.entries": "{entries} entries",
    "dr.winners": "{winners} drawn",
    "dr.seedHash": "Seed hash (published before the entries)",
    "dr.seed": "Seed (published after the draw)",
    "dr.seedLater": "published after the draw",
    "dr.algorithm": "Algorithm",
    "err.DRAW_OPEN": "This day's places are drawn by lot: enter the draw below.",
    "err.DRAW_CLOSED": "This day's draw is not taking entries now."
  };
  Object.keys(zh).forEach(function (k) { if (I.zh[k] === undefined) I.zh[k] = zh[k]; });
  Object.keys(en).forEach(function (k) { if (I.en[k] === undefined) I.en[k] = en[k]; });

  var HB = window.HB, t = HB.t, el = HB.el, api = HB.api;
  var root = document.getElementById("draws");
  if (!root) return;
  var state = { offices: [], entries: [], attemptKey: null, records: {} };
  function token() { return sessionStorage.getItem("hallbook.token"); }
  function $(id) { return document.getElementById(id); }

  function field(id, key, input) {
    return [el("label", { "for": id, "data-i18n": key, text: t(key) }), input];
  }

  function build() {
    var form = el("form", { id: "draw-form", "class": "card", novalidate: true }, [].concat(
      field("draw-office", "dr.office", el("select", { id: "draw-office", name: "office_id", required: true })),
      field("draw-service", "dr.service", el("select", { id: "draw-service", name: "service_code", required: true })),
      field("draw-date", "dr.date", el("input", { id: "draw-date", name: "date", type: "date", required: true })),
      [el("p", { "class": "hint", id: "draw-starts-hint", "data-i18n": "dr.starts", text: t("dr.starts") })],
      field("draw-start-1", "dr.start1", el("input", { id: "draw-start-1", inputmode: "numeric", maxlength: "5", "aria-describedby": "draw-starts-hint" })),
      field("draw-start-2", "dr.start2", el("input", { id: "draw-start-2", inputmode: "numeric", maxlength: "5", "aria-describedby": "draw-starts-hint" })),
      field("draw-start-3", "dr.start3", el("input", { id: "draw-start-3", inputmode: "numeric", maxlength: "5", "aria-describedby": "draw-starts-hint" })),
      [el("label", { "class": "check", "for": "draw-any" }, [el("input", { type: "checkbox", id: "draw-any" }), " ", el("span", { "data-i18n": "dr.anyOffice", text: t("dr.anyOffice") })])],
      [el("label", { "class": "check", "for": "draw-waitlist" }, [el("input", { type: "checkbox", id: "draw-waitlist" }), " ", el("span", { "data-i18n": "dr.waitlist", text: t("dr.waitlist") })])],
      field("draw-subject", "dr.subject", el("input", { id: "draw-subject", maxlength: "18", autocomplete: "off" })),
      [el("div", { "class": "row" }, [el("button", { type: "submit", id: "draw-submit", "data-i18n": "dr.submit", text: t("dr.submit") })])]
    ));
    root.appendChild(el("h2", { id: "draws-h", "data-i18n": "dr.title", text: t("dr.title") }));
    root.appendChild(el("p", { "class": "hint", "data-i18n": "dr.intro", text: t("dr.intro") }));
    root.appendChild(form);
    root.appendChild(el("div", { id: "draw-msg", "class": "message", role: "status", "aria-live": "polite", hidden: true }));
    root.appendChild(el("h3", { id: "draws-mine-h", "data-i18n": "dr.mine", text: t("dr.mine") }));
    root.appendChild(el("div", { "class": "row" }, [el("button", { type: "button", id: "draw-refresh", "class": "secondary", "data-i18n": "dr.refresh", text: t("dr.refresh"), on: { click: loadEntries } })]));
    root.appendChild(el("ul", { id: "draw-entries", "class": "list", "aria-labelledby": "draws-mine-h" }));
    root.hidden = false;
    form.addEventListener("submit", submit);
    form.addEventListener("input", function () { state.attemptKey = null; });
    $("draw-office").addEventListener("change", fillServices);
  }

  function fillOffices() {
    return api("GET", "/v1/offices").then(function (r) {
      state.offices = (r.data && r.data.offices) || [];
      var select = $("draw-office");
      select.textContent = "";
      state.offices.forEach(function (o) { select.appendChild(el("option", { value: o.office_id, text: o.name })); });
      fillServices();
    }).catch(function () { /* the list stays empty; the catalog section says why */ });
  }

  function fillServices() {
    var office = state.offices.filter(function (o) { return o.office_id === $("draw-office").value; })[0];
    var select = $("draw-service");
    select.textContent = "";
    ((office && office.services) || []).forEach(function (code) { select.appendChild(el("option", { value: code, text: code })); });
  }

  function submit(ev) {
    ev.preventDefault();
    if (!token()) { HB.say("draw-msg", t("dr.loginFirst"), "error"); return; }
    var starts = ["draw-start-1", "draw-start-2", "draw-start-3"].map(function (id) { return $(id).value.trim(); }).filter(Boolean);
    var body = {
      office_id: $("draw-office").value, service_code: $("draw-service").value, date: $("draw-date").value,
      starts: starts.length ? starts : null, any_office: $("draw-any").checked, waitlist: $("draw-waitlist").checked
    };
    if ($("draw-subject").value.trim()) body.subject_id_number = $("draw-subject").value.trim();
    state.attemptKey = state.attemptKey || HB.newKey();  // a double tap or a retry enters once
    $("draw-submit").disabled = true;
    api("POST", "/v1/draw-entries", { token: token(), body: body, headers: { "Idempotency-Key": state.attemptKey } }).then(function (r) {
      HB.say("draw-msg", t("dr.entered", { closes: HB.hallTime(r.data.closes_at) }), "ok");
      return loadEntries();
    }, function (err) { HB.say("draw-msg", HB.errorText(err), "error"); }).then(function () { $("draw-submit").disabled = false; });
  }

  function loadEntries() {
    if (!token()) { render(); return Promise.resolve(); }
    return api("GET", "/v1/draw-entries", { token: token() }).then(function (r) {
      state.entries = (r.data && r.data.entries) || []; render();
    }, function (err) { HB.say("draw-msg", HB.errorText(err), "error"); });
  }

  function render() {
    var list = $("draw-entries");
    list.textContent = "";
    if (!state.entries.length) { list.appendChild(el("li", { "class": "hint", text: t("dr.none") })); return; }
    state.entries.forEach(function (e) {
      var facts = [t("dr.status." + e.status)];
      if (e.rank) facts.push(t("dr.rank", { rank: e.rank }));
      if (e.reason) facts.push(t("dr.reason." + e.reason));
      if (e.booking_id) facts.push(t("dr.booking", { id: e.booking_id.slice(0, 8) }));
      if (e.waitlist_id) facts.push(t("dr.waitlisted"));
      var record = state.records[e.draw_id];
      list.appendChild(el("li", { "class": "card", "data-draw-entry": e.entry_id, "data-status": e.status }, [
        el("strong", { text: (e.office_name || e.office_id) + " · " + (e.service_name_zh || e.service_code) + " · " + e.date }),
        el("p", { "class": "entry-status", text: facts.join(" · ") }),
        el("div", { "class": "row" }, [el("button", { type: "button", "class": "secondary", text: t("dr.record"), on: { click: function () { showRecord(e.draw_id); } } })]),
        record ? recordView(record) : null
      ]));
    });
  }

  function showRecord(drawId) {
    api("GET", "/v1/draws/" + encodeURIComponent(drawId)).then(function (r) { state.records[drawId] = r.data; render(); },
      function (err) { HB.say("draw-msg", HB.errorText(err), "error"); });
  }

  function recordView(d) {
    var counts = [t("dr.places", { places: d.places })];
    if (d.entries !== null && d.entries !== undefined) counts.push(t("dr.entries", { entries: d.entries }));
    if (d.winners !== null && d.winners !== undefined) counts.push(t("dr.winners", { winners: d.winners }));
    return el("dl", { "class": "draw-record", "aria-label": t("dr.recordTitle") }, [
      el("dt", { text: t("dr.recordTitle") }), el("dd", { text: counts.join(" · ") }),
      el("dt", { text: t("dr.seedHash") }), el("dd", { "class": "mono", text: d.seed_sha256 }),
      el("dt", { text: t("dr.seed") }), el("dd", { "class": "mono draw-seed", text: d.seed || t("dr.seedLater") }),
      el("dt", { text: t("dr.algorithm") }), el("dd", { "class": "hint", text: d.algorithm })
    ]);
  }

  build();
  fillOffices();
  loadEntries();
  HB.onLang(function () { HB.applyI18n(root); render(); });
  window.addEventListener("storage", loadEntries);
  window.HB_DRAWS = { reload: loadEntries };
})();
