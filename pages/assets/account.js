// The citizen page: the account - register, verify (and resend), log in (with the SMS step-up), reset a
// forgotten password, change the password and the phone, close the account; limits from GET /v1/me.
(function () {
  "use strict";
  var C = HBC, $ = C.$, t = HB.t, el = HB.el, say = HB.say, state = C.state;
  var pending = {};  // the registration being verified: id_number, phone, password (this page only)

  function showTab(which) {
    ["login", "register", "verify", "reset"].forEach(function (name) { $(name + "-form").hidden = which !== name; });
    $("tab-login").setAttribute("aria-pressed", which === "login");
    $("tab-register").setAttribute("aria-pressed", which === "register");
    $("tab-reset").setAttribute("aria-pressed", which === "reset");
  }

  function loadMe() {
    if (!state.token) { state.me = null; C.emit("me"); return Promise.resolve(); }
    return C.call("GET", "/v1/me").then(function (r) { state.me = r.data; C.emit("me"); },
      function (err) { if (err.status !== 401) say("account-msg", HB.errorText(err), "error"); });
  }
  C.loadMe = loadMe;

  // the lines about limits, shown in the account and again above the booking form (before any typing)
  C.restrictionLines = function () {
    var me = state.me, lines = [];
    if (!me) return lines;
    var r = me.restrictions || {};
    if (!me.phone_verified) lines.push([t("acct.notVerified"), "warn"]);
    if (me.identity_verified === false) lines.push([t("acct.identityNotVerified"), "warn"]);
    if (r.suspended_until) lines.push([t("acct.suspended", { until: HB.hallTime(r.suspended_until) }), "error"]);
    if (r.cancellations_this_month) lines.push([t("acct.cancellations", { n: r.cancellations_this_month }) + (r.cancellations_this_month === 2 ? " " + t("acct.warnOneMore") : ""), r.cancellations_this_month >= 2 ? "warn" : ""]);
    if (r.no_shows_in_six_months) lines.push([t("acct.noShows", { n: r.no_shows_in_six_months }) + (r.no_shows_in_six_months === 2 ? " " + t("acct.warnOneMore") : ""), r.no_shows_in_six_months >= 2 ? "warn" : ""]);
    return lines;
  };
  C.blocked = function () {
    var me = state.me;
    return !!(me && ((me.restrictions && me.restrictions.suspended_until) || !me.phone_verified || me.identity_verified === false));
  };

  function renderAccount() {
    var me = state.me;
    $("logged-out").hidden = !!me; $("logged-in").hidden = !me;
    if (!me) return;
    $("whoami").textContent = t("acct.loggedInAs", { name: me.name + (me.phone ? " (" + me.phone + ")" : "") });
    var box = $("restrictions"); box.textContent = "";
    var lines = C.restrictionLines();
    if (lines.length) box.appendChild(el("h3", { text: t("acct.restrictions"), class: "sr-only" }));
    lines.forEach(function (l) { box.appendChild(el("p", { class: "message " + l[1], text: l[0] })); });
  }

  function login(loginName, password, smsCode) {
    var body = { login: loginName, password: password };
    if (smsCode) body.sms_code = smsCode;
    return HB.api("POST", "/v1/sessions", { body: body }).then(function (r) {
      C.setToken(r.data.token); $("login-code-row").hidden = true; $("login-form").reset();
      return loadMe();
    });
  }

  function code(id) { return $(id).value.replace(/\s/g, ""); }

  function wire() {
    $("tab-login").addEventListener("click", function () { showTab("login"); });
    $("tab-register").addEventListener("click", function () { showTab("register"); });
    $("tab-reset").addEventListener("click", function () { showTab("reset"); $("reset-step2").hidden = true; });
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault(); say("account-msg", "");
      C.busy($("login-submit"), login($("login-login").value.trim(), $("login-password").value, code("login-code")))
        .catch(function (err) {
          if (err.code === "SMS_CODE_REQUIRED") $("login-code-row").hidden = false;
          say("account-msg", HB.errorText(err), "error");
        });
    });
    $("send-login-code").addEventListener("click", function () {
      // the code goes out for the right password only (an API before that took the login alone)
      var loginName = $("login-login").value.trim(), password = $("login-password").value;
      HB.api("POST", "/v1/sessions/sms-code", { body: { login: loginName, password: password } })
        .catch(function (err) {
          if (err.code !== "VALIDATION_ERROR") throw err;
          return HB.api("POST", "/v1/sessions/sms-code", { body: { login: loginName } });
        })
        .then(function () { say("account-msg", t("acct.codeSent"), "ok"); }, C.fail("account-msg"));
    });
    $("register-form").addEventListener("submit", function (e) {
      e.preventDefault(); say("account-msg", "");
      var body = { name: $("reg-name").value.trim(), id_number: C.idNumber($("reg-id").value),
        phone: $("reg-phone").value.trim(), password: $("reg-password").value, lang: HB.lang() };
      C.busy($("register-submit"), HB.api("POST", "/v1/accounts", { body: body })).then(function () {
        pending = { id: body.id_number, phone: body.phone, password: body.password };
        showTab("verify"); say("account-msg", t("acct.registered"), "ok"); $("verify-code").focus();
      }, C.fail("account-msg"));
    });
    $("verify-form").addEventListener("submit", function (e) {
      e.preventDefault();
      C.busy($("verify-submit"), HB.api("POST", "/v1/accounts/verify", { body: { id_number: pending.id, code: code("verify-code") } })
        .then(function () { return login(pending.phone, pending.password); }))
        .then(function () { pending = {}; showTab("login"); say("account-msg", t("acct.verified"), "ok"); }, C.fail("account-msg"));
    });
    $("verify-resend").addEventListener("click", function () {
      HB.api("POST", "/v1/accounts/verify/resend", { body: { id_number: pending.id } })
        .then(function () { say("account-msg", t("acct.codeSent"), "ok"); }, C.fail("account-msg"));
    });
    // a forgotten password: a code to the verified phone (the same answer whether or not the login exists)
    $("reset-send").addEventListener("click", function () {
      var loginName = $("reset-login").value.trim();
      if (!loginName) { say("account-msg", t("err.field", { field: t("acct.loginField") }), "error"); return; }
      C.busy($("reset-send"), HB.api("POST", "/v1/accounts/password-reset", { body: { login: loginName } })).then(function () {
        $("reset-step2").hidden = false; say("account-msg", t("acct.resetSent"), "ok"); $("reset-code").focus();
      }, C.fail("account-msg"));
    });
    $("reset-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { login: $("reset-login").value.trim(), code: code("reset-code"), new_password: $("reset-password").value };
      C.busy($("reset-submit"), HB.api("POST", "/v1/accounts/password-reset/confirm", { body: body })).then(function () {
        $("reset-form").reset(); $("reset-step2").hidden = true; showTab("login");
        $("login-login").value = body.login; say("account-msg", t("acct.resetDone"), "ok"); $("login-password").focus();
      }, C.fail("account-msg"));
    });
    $("logout").addEventListener("click", function () {
      var token = state.token;
      C.setToken(null); state.me = null; C.emit("me"); say("account-msg", "");
      if (token) HB.api("DELETE", "/v1/sessions/current", { token: token }).catch(function () { /* gone anyway */ });
    });
    $("password-form").addEventListener("submit", function (e) {
      e.preventDefault();
      C.busy($("pw-submit"), C.call("POST", "/v1/me/password", { body: { current_password: $("pw-current").value, new_password: $("pw-new").value } }))
        .then(function (r) { if (r.data && r.data.token) C.setToken(r.data.token); $("password-form").reset(); say("account-msg", t("acct.passwordChanged"), "ok"); },
          C.fail("account-msg"));
    });
    $("phone-send").addEventListener("click", function () {
      C.busy($("phone-send"), C.call("POST", "/v1/me/phone", { body: { phone: $("phone-new").value.trim() } })).then(function () {
        $("phone-step2").hidden = false; say("account-msg", t("acct.codeSentNew"), "ok"); $("phone-code").focus();
      }, C.fail("account-msg"));
    });
    $("phone-form").addEventListener("submit", function (e) {
      e.preventDefault();
      C.busy($("phone-submit"), C.call("POST", "/v1/me/phone/confirm", { body: { code: code("phone-code") } })).then(function () {
        $("phone-form").reset(); $("phone-step2").hidden = true; say("account-msg", t("acct.phoneChanged"), "ok"); loadMe();
      }, C.fail("account-msg"));
    });
    $("close-submit").addEventListener("click", function () {
      if (!$("close-confirm").checked) { say("account-msg", t("acct.closeTick"), "error"); $("close-confirm").focus(); return; }
      C.busy($("close-submit"), C.call("DELETE", "/v1/me")).then(function () {
        C.setToken(null); state.me = null; $("close-confirm").checked = false; $("settings").open = false;
        C.emit("me"); say("account-msg", t("acct.closed"), "ok");
      }, C.fail("account-msg"));
    });
  }

  C.on("start", function () { wire(); showTab("login"); });
  C.on("loadMe", loadMe);
  C.on("me", renderAccount);
  C.on("lang", renderAccount);
})();
