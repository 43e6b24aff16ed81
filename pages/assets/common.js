// What the three pages share: the API client (bearer tokens, problem+json), the language and the
// large-type / high-contrast preferences. Plain JS, no build step, nothing loaded from outside.
(function () {
  "use strict";
  var config = window.HALLBOOK_CONFIG || {};
  var dict = window.HALLBOOK_I18N;
  var query = new URLSearchParams(location.search);
  var store = {
    get: function (k) { try { return localStorage.getItem("hallbook." + k); } catch (e) { return null; } },
    set: function (k, v) { try { if (v === null) localStorage.removeItem("hallbook." + k); else localStorage.setItem("hallbook." + k, v); } catch (e) { /* private mode */ } }
  };
  var lang = query.get("lang") === "en" || query.get("lang") === "zh" ? query.get("lang") : (store.get("lang") || "zh");
  var listeners = [];

  function t(key, vars) {
    var text = (dict[lang] && dict[lang][key]) || dict.zh[key] || key;
    return text.replace(/\{(\w+)\}/g, function (_, name) { return vars && vars[name] !== undefined ? vars[name] : ""; });
  }

  function applyI18n(root) {
    (root || document).querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.getAttribute("data-i18n")); });
    (root || document).querySelectorAll("[data-i18n-attr]").forEach(function (el) {
      el.getAttribute("data-i18n-attr").split(";").forEach(function (pair) {
        var p = pair.split(":"); if (p.length === 2) el.setAttribute(p[0], t(p[1]));
      });
    });
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    var sw = document.getElementById("lang-switch");
    if (sw) sw.lang = lang === "en" ? "zh-CN" : "en";  // the switch names the other language, in it
  }

  function setLang(next) {
    lang = next; store.set("lang", next); applyI18n();
    listeners.forEach(function (fn) { fn(lang); });
  }

  function prefs() {
    var html = document.documentElement;
    html.classList.toggle("large", store.get("large") === "1" || query.get("large") === "1");
    html.classList.toggle("contrast", store.get("contrast") === "1" || query.get("contrast") === "1");
    document.querySelectorAll("[data-pref]").forEach(function (b) {
      b.setAttribute("aria-pressed", html.classList.contains(b.getAttribute("data-pref")) ? "true" : "false");
    });
  }

  // the header's buttons: language, large type, high contrast
  function wireToolbar() {
    var sw = document.getElementById("lang-switch");
    if (sw) sw.addEventListener("click", function () { setLang(lang === "zh" ? "en" : "zh"); });
    document.querySelectorAll("[data-pref]").forEach(function (b) {
      b.addEventListener("click", function () {
        var name = b.getAttribute("data-pref");
        store.set(name, document.documentElement.classList.contains(name) ? null : "1"); prefs();
      });
    });
    prefs(); applyI18n();
  }

  function ApiError(status, problem, headers) {
    this.status = status; this.problem = problem || {}; this.code = this.problem.code || (status ? "HTTP_" + status : "network");
    this.retryAfter = headers && headers.get ? headers.get("Retry-After") : null;
  }

  // one API call: JSON in and out; a refusal throws ApiError with the problem+json body
  function api(method, path, opts) {
    opts = opts || {};
    var headers = { "Accept": "application/json", "Accept-Language": lang === "en" ? "en" : "zh-CN" };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.token) headers["Authorization"] = "Bearer " + opts.token;
    Object.keys(opts.headers || {}).forEach(function (k) { headers[k] = opts.headers[k]; });
    return fetch((config.api || "") + path, {
      method: method, headers: headers, credentials: "omit", cache: "no-store",
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined
    }).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      var read = r.status === 204 || r.status === 304 ? Promise.resolve(null)
        : type.indexOf("json") >= 0 ? r.json().catch(function () { return null; }) : r.text();
      return read.then(function (data) {
        if (!r.ok && r.status !== 304) throw new ApiError(r.status, data && typeof data === "object" ? data : null, r.headers);
        return { status: r.status, data: data, headers: r.headers };
      });
    }, function () { throw new ApiError(0, null, null); });
  }

  // a text wholly in the page's language: Chinese with no English words in it, or English with no Chinese
  function inLanguage(text) {
    if (!text || typeof text !== "string") return false;
    return lang === "en" ? !/[\u3400-\u9fff\uff08\uff09]/.test(text) : /[\u3400-\u9fff]/.test(text) && !/[A-Za-z]{4,}/.test(text);
  }
  // codes whose server text says more than the code (until when, which state, which rule; the
  // cancellation cut-off's hour, which the server formats from the rule's one value)
  var SPECIFIC = { CANCEL_CLOSED: 1, SUSPENDED: 1, NOT_ELIGIBLE: 1, INVALID_STATE: 1, VALIDATION_ERROR: 1, DRAW_CLOSED: 1 };

  // a refusal as one sentence in the page's language: the field's words for a bad field, the server's
  // own words when they are in this language and say more than the code, else the code's words
  function errorText(err) {
    if (!(err instanceof ApiError)) return t("status.error");
    if (err.status === 0) return t("err.network");
    var p = err.problem || {}, known = dict.zh["err." + err.code] !== undefined;
    var field = p.field && String(p.field).replace(/^body\./, "");
    if (err.code === "VALIDATION_ERROR" && field && dict.zh["field." + field] !== undefined) return t("err.field", { field: t("field." + field) });
    if (SPECIFIC[err.code] && inLanguage(p.detail)) return p.detail;
    if (known) return t("err." + err.code, { s: err.retryAfter || p.retry_after || "" });
    if (inLanguage(p.detail)) return p.detail;
    if (inLanguage(p.title)) return p.title;
    return t("status.error");
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (ev) { node.addEventListener(ev, attrs.on[ev]); });
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function say(id, text, kind) {
    var box = document.getElementById(id);
    if (!box) return;
    box.textContent = text || "";
    box.className = "message" + (kind ? " " + kind : "");
    box.hidden = !text;
  }

  // the server's clock (local mode's can be years ahead): offset from this machine's, in ms
  var clockOffset = 0;
  function syncClock() {
    if (!config.clock) return Promise.resolve();
    return fetch(config.clock, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (d) {
      clockOffset = new Date(d.now).getTime() - Date.now();
    }).catch(function () { /* keep the machine's clock */ });
  }
  function serverNow() { return new Date(Date.now() + clockOffset); }

  // instants shown in hall time (Asia/Shanghai, UTC+8 all year)
  function hallTime(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso || "";
    var h = new Date(d.getTime() + 8 * 3600e3);
    return h.toISOString().slice(0, 16).replace("T", " ");
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  window.HB = {
    t: t, api: api, ApiError: ApiError, errorText: errorText, el: el, say: say, store: store,
    lang: function () { return lang; }, setLang: setLang, onLang: function (fn) { listeners.push(fn); },
    applyI18n: applyI18n, wireToolbar: wireToolbar, syncClock: syncClock, serverNow: serverNow,
    hallTime: hallTime, newKey: newKey
  };
})();
