// The hall's call display: polls the public queue route every second with If-None-Match (a 304 costs
// no body), keeps the last state while the API is down and says so, recovers by itself. Numbers only.
(function () {
  "use strict";
  var el = HB.el, $ = function (id) { return document.getElementById(id); };
  var parts = location.pathname.split("/");
  // deployed, CloudFront answers any missing key with this page: only /board/{office_id} is the board
  if (parts.length !== 3 || parts[1] !== "board" || !parts[2]) { location.replace("/"); return; }
  var officeId = decodeURIComponent(parts[2]);
  var POLL_MS = 500, STALE_AFTER_MS = 3000, SHOW_WAITING = 24;  // 304s while nothing changes: cheap
  var etag = null, lastOk = 0, lastState = null, failing = false;
  var zh = function (key, vars) { return tr("zh", key, vars); }, en = function (key, vars) { return tr("en", key, vars); };

  function tr(lang, key, vars) {
    var text = (window.HALLBOOK_I18N[lang] || {})[key] || key;
    return text.replace(/\{(\w+)\}/g, function (_, n) { return vars && vars[n] !== undefined ? vars[n] : ""; });
  }
  function both(key, vars) { return [el("span", { text: zh(key, vars) }), " ", el("span", { lang: "en", class: "en", text: en(key, vars) })]; }
  function kindOf(number) { return /^A/.test(number) ? "booking" : "walk_in"; }

  function render(board) {
    var calls = $("calls"); calls.textContent = "";
    var counters = (board.counters || []).slice();
    var last = board.last_called;
    counters.sort(function (a, b) { return (last && a.number === last.number) ? -1 : (last && b.number === last.number) ? 1 : 0; });
    if (!counters.length && last) counters = [{ counter: last.counter, number: last.number }];
    if (!counters.length) calls.appendChild(el("li", {}, both("board.noneCalled")));
    counters.forEach(function (c) {
      var kind = kindOf(c.number);
      calls.appendChild(el("li", { class: (last && last.number === c.number ? "latest " : "") + kind, "data-ticket-number": c.number, "data-counter": c.counter, "data-kind": kind }, [
        el("span", {}, [el("span", { class: "num", text: c.number }),
          el("span", { class: "kind", text: kind === "booking" ? zh("board.booking") + " " + en("board.booking") : zh("board.walkIn") + " " + en("board.walkIn") })]),
        el("span", { class: "counter" }, [zh("board.counter", { c: c.counter }), el("br"), el("span", { lang: "en", text: en("board.counter", { c: c.counter }) })])
      ]));
    });
    var waiting = $("waiting"); waiting.textContent = "";
    (board.waiting || []).slice(0, SHOW_WAITING).forEach(function (w) {
      var key = w.kind === "booking" ? "board.booking" : "board.walkIn";
      waiting.appendChild(el("li", { class: w.kind, "data-ticket-number": w.number, "data-kind": w.kind }, [
        w.number, el("span", { class: "kind", text: zh(key) + " " + en(key) })
      ]));
    });
    if (!(board.waiting || []).length) waiting.appendChild(el("li", { class: "none" }, both("board.noneWaiting")));
    var summary = $("summary"); summary.textContent = "";
    summary.appendChild(el("span", { text: zh("board.waitingCount", { n: board.waiting_count }) + " · " + zh("board.wait", { n: board.estimated_wait_minutes }) }));
    summary.appendChild(el("br"));
    summary.appendChild(el("span", { lang: "en", text: en("board.waitingCount", { n: board.waiting_count }) + " · " + en("board.wait", { n: board.estimated_wait_minutes }) }));
  }

  function showStale() {
    var banner = $("stale");
    var stale = failing && Date.now() - lastOk > STALE_AFTER_MS;
    banner.hidden = !stale;
    document.body.classList.toggle("is-stale", stale);
    if (stale) {
      var at = lastOk ? HB.hallTime(new Date(lastOk + (HB.serverNow() - Date.now())).toISOString()).slice(11) : "--:--";
      banner.textContent = zh("board.stale", { t: at }) + " · " + en("board.stale", { t: at });
    }
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    HB.api("GET", "/v1/offices/" + encodeURIComponent(officeId) + "/queue", { headers: headers }).then(function (r) {
      if (r.status === 200 && r.data) { lastState = r.data; etag = r.headers.get("ETag"); render(r.data); }
      lastOk = Date.now(); failing = false;
    }, function (err) {
      failing = true;
      if (err.status === 404) { $("calls").textContent = ""; $("calls").appendChild(el("li", {}, both("board.unknownOffice"))); }
    }).then(function () { showStale(); setTimeout(poll, POLL_MS); });
  }

  function tick() {
    $("clock").textContent = HB.hallTime(HB.serverNow().toISOString()).slice(5);
    showStale();
  }

  HB.api("GET", "/v1/offices/" + encodeURIComponent(officeId)).then(function (r) {
    $("office-name").textContent = r.data.name; $("office-name-en").textContent = r.data.name_en || "";
    document.title = r.data.name + " · 叫号 Now calling";
  }, function () { /* the queue poll says what is wrong */ });
  $("fullscreen").addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen(); else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
  HB.syncClock().then(function () { tick(); setInterval(tick, 1000); });
  poll();
})();
