// The hall's call display: polls the public queue route twice a second with If-None-Match (a 304 costs
// no body), keeps the last state while the API is down and says so, recovers by itself. Numbers only:
// the tickets being served at each counter (a completed, skipped or transferred one leaves with the
// next poll), paused counters, the tickets waiting. An unknown hall says so (not "connection lost").
// When the hall turns sound on (its `board_sound`), each call and recall is said aloud - "请A002号到3号
// 窗口", then in English if set - by the browser's speech synthesis with a Chinese voice, or a chime
// (WebAudio) where no Chinese voice is installed.
(function () {
  "use strict";
  var el = HB.el, $ = function (id) { return document.getElementById(id); };
  var parts = location.pathname.split("/");
  // deployed, CloudFront answers any missing key with this page: only /board/{office_id} is the board
  if (parts.length !== 3 || parts[1] !== "board" || !parts[2]) { location.replace("/"); return; }
  var officeId = decodeURIComponent(parts[2]);
  var POLL_MS = 500, UNKNOWN_POLL_MS = 15000, STALE_AFTER_MS = 3000, SHOW_WAITING = 24;  // 304s while nothing changes: cheap
  var etag = null, lastOk = 0, failing = false, unknown = false, lastCall = null, sound = "off";
  var zh = function (key, vars) { return tr("zh", key, vars); }, en = function (key, vars) { return tr("en", key, vars); };

  function tr(lang, key, vars) {
    var text = (window.HALLBOOK_I18N[lang] || {})[key] || key;
    return text.replace(/\{(\w+)\}/g, function (_, n) { return vars && vars[n] !== undefined ? vars[n] : ""; });
  }
  function both(key, vars) { return [el("span", { text: zh(key, vars) }), " ", el("span", { lang: "en", class: "en", text: en(key, vars) })]; }
  function kindOf(number) { return /^A/.test(number) ? "booking" : "walk_in"; }

  function render(board) {
    unknown = false; document.body.classList.remove("is-unknown");
    $("waiting-section").hidden = false;
    var calls = $("calls"); calls.textContent = "";
    var last = board.last_called;
    var counters = (board.counters || []).slice();
    counters.sort(function (a, b) { return (last && a.number === last.number) ? -1 : (last && b.number === last.number) ? 1 : 0; });
    if (!counters.length) calls.appendChild(el("li", {}, both("board.noneCalled")));
    counters.forEach(function (c) {
      if (c.paused && !c.number) {
        calls.appendChild(el("li", { class: "paused", "data-counter": c.counter, "data-paused": "true" }, [
          el("span", { class: "kind" }, both("board.paused")),
          el("span", { class: "counter" }, [zh("board.counter", { c: c.counter }), el("br"), el("span", { lang: "en", text: en("board.counter", { c: c.counter }) })])
        ]));
        return;
      }
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
    sound = board.sound || "off";
    $("sound").hidden = sound === "off";
    announce(last);
  }

  function renderUnknown() {
    unknown = true; failing = false;
    document.body.classList.add("is-unknown");
    var calls = $("calls"); calls.textContent = "";
    calls.appendChild(el("li", { class: "unknown", "data-state": "unknown-office" }, [
      el("span", {}, both("board.unknownOffice")), el("br"),
      el("span", { class: "kind" }, both("board.unknownOfficeHint"))
    ]));
    $("waiting-section").hidden = true;
    $("office-name").textContent = zh("board.unknownOffice");
    $("office-name-en").textContent = en("board.unknownOffice") + " · " + officeId;
    document.title = zh("board.unknownOffice") + " · " + en("board.unknownOffice");
  }

  // ---------------------------------------------------------------- the call said aloud
  function announce(last) {
    var key = last ? last.number + "@" + last.counter + "@" + last.called_at + "#" + (last.seq || 0) : "";
    if (lastCall === null) { lastCall = key; return; }  // what was on the screen when it opened is not new
    if (key === lastCall) return;
    lastCall = key;
    if (!last || sound === "off") return;
    var texts = [{ lang: "zh-CN", text: zh("board.say", { number: last.number, counter: last.counter }) }];
    if (sound === "zh_en") texts.push({ lang: "en-US", text: en("board.say", { number: last.number, counter: last.counter }) });
    speak(texts);
  }

  function voiceFor(lang) {
    var synth = window.speechSynthesis;
    var voices = synth && synth.getVoices ? synth.getVoices() || [] : [];
    var exact = voices.filter(function (v) { return (v.lang || "").replace("_", "-").toLowerCase() === lang.toLowerCase(); })[0];
    return exact || voices.filter(function (v) { return (v.lang || "").toLowerCase().indexOf(lang.slice(0, 2).toLowerCase()) === 0; })[0] || null;
  }

  function speak(texts) {
    var synth = window.speechSynthesis;
    if (!synth || !window.SpeechSynthesisUtterance || !voiceFor("zh-CN")) { chime(); return; }
    texts.forEach(function (item) {
      var voice = voiceFor(item.lang);
      if (!voice) return;  // no English voice: the Chinese call stands alone
      var u = new window.SpeechSynthesisUtterance(item.text);
      u.lang = item.lang; u.voice = voice; u.rate = 0.9;
      synth.speak(u);
    });
  }

  var audio = null;
  function chime() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      audio = audio || new Ctx();
      [660, 880].forEach(function (freq, i) {
        var osc = audio.createOscillator(), gain = audio.createGain(), at = audio.currentTime + i * 0.35;
        osc.frequency.value = freq; osc.type = "sine";
        gain.gain.setValueAtTime(0.0001, at); gain.gain.exponentialRampToValueAtTime(0.3, at + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
        osc.connect(gain); gain.connect(audio.destination); osc.start(at); osc.stop(at + 0.32);
      });
      window.HB_BOARD_CHIMES = (window.HB_BOARD_CHIMES || 0) + 1;
    } catch (e) { /* no audio output */ }
  }

  // browsers speak only after a person touched the page once: the hall's staff press this when the
  // screen is set up (a kiosk started with --autoplay-policy=no-user-gesture-required needs nothing)
  function unlock() {
    if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
      var u = new window.SpeechSynthesisUtterance(" "); u.volume = 0; window.speechSynthesis.speak(u);
    }
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) { try { audio = audio || new Ctx(); audio.resume(); } catch (e) { /* none */ } }
    $("sound").setAttribute("aria-pressed", "true");
    $("sound").textContent = zh("board.soundOn") + " " + en("board.soundOn");
  }

  function showStale() {
    var banner = $("stale");
    var stale = !unknown && failing && Date.now() - lastOk > STALE_AFTER_MS;
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
      if (r.status === 200 && r.data) { etag = r.headers.get("ETag"); render(r.data); }
      lastOk = Date.now(); failing = false;
    }, function (err) {
      if (err.status === 404) { etag = null; renderUnknown(); } else failing = true;
    }).then(function () { showStale(); setTimeout(poll, unknown ? UNKNOWN_POLL_MS : POLL_MS); });
  }

  function tick() {
    $("clock").textContent = HB.hallTime(HB.serverNow().toISOString()).slice(5);
    showStale();
  }

  HB.api("GET", "/v1/offices/" + encodeURIComponent(officeId)).then(function (r) {
    $("office-name").textContent = r.data.name; $("office-name-en").textContent = r.data.name_en || "";
    document.title = r.data.name + " · 叫号 Now calling";
  }, function (err) { if (err.status === 404) renderUnknown(); });
  $("fullscreen").addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen(); else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
  $("sound").addEventListener("click", unlock);
  if (window.speechSynthesis && window.speechSynthesis.getVoices) window.speechSynthesis.getVoices();  // voices load lazily
  HB.syncClock().then(function () { tick(); setInterval(tick, 1000); });
  poll();
})();
