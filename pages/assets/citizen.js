// The citizen page's core: its state, a tiny event hub between the journeys' files (account.js,
// booking.js, family.js, permits.js), and the start. Plain JS, no build step (SPEC "Pages").
(function () {
  "use strict";
  var handlers = {};
  var C = window.HBC = {
    state: {
      token: sessionStorage.getItem("hallbook.token"), me: null, services: [], byCode: {},
      links: [], proxies: [], officesById: {}
    },
    $: function (id) { return document.getElementById(id); },
    on: function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    emit: function (name, arg) { (handlers[name] || []).forEach(function (fn) { fn(arg); }); },
    en: function () { return HB.lang() === "en"; },
    serviceName: function (s) { return C.en() && s.name_en ? s.name_en : s.name_zh; },
    officeName: function (o) { return C.en() && o.name_en ? o.name_en : o.name; },
    setToken: function (token) {
      C.state.token = token;
      if (token) sessionStorage.setItem("hallbook.token", token); else sessionStorage.removeItem("hallbook.token");
    },
    // an API call with the session's token; a 401 ends the session on the page
    call: function (method, path, opts) {
      opts = opts || {};
      opts.token = C.state.token;
      return HB.api(method, path, opts).catch(function (err) {
        if (err.status === 401 && C.state.token) { C.setToken(null); C.state.me = null; C.emit("me"); }
        throw err;
      });
    },
    // a button busy while its promise runs, then usable again
    busy: function (button, promise) {
      button.disabled = true;
      return promise.then(function (v) { button.disabled = false; return v; }, function (e) { button.disabled = false; throw e; });
    },
    fail: function (box) { return function (err) { HB.say(box, HB.errorText(err), "error"); }; },
    idNumber: function (value) { return value.trim().toUpperCase(); }
  };

  function start() {
    HB.wireToolbar();
    HB.onLang(function () { C.emit("lang"); });
    C.emit("start");
    HB.api("GET", "/v1/services").then(function (r) {
      C.state.services = r.data.services || [];
      C.state.services.forEach(function (s) { C.state.byCode[s.code] = s; });
      C.emit("services");
    }, function (err) { HB.say("global-msg", HB.errorText(err), "error"); });
    C.emit("loadMe");
  }
  document.addEventListener("DOMContentLoaded", start);
})();
