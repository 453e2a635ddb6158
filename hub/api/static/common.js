/* pilhub pages: the bearer token, API calls and small DOM helpers shared by the dashboard and the case page.
 *
 * The token is kept in sessionStorage (this tab only); it may be handed over in the URL fragment (#token=…),
 * which is never sent to the server and is removed from the address bar at once.
 * All text is inserted with textContent (never innerHTML), so no stored value can inject markup.
 */
"use strict";
var pilhub = (function () {
  var TOKEN_KEY = "pilhub.token";
  var api = { token: null };

  api.$ = function (id) { return document.getElementById(id); };

  api.takeToken = function () {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash || "");
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    api.token = sessionStorage.getItem(TOKEN_KEY);
    return api.token;
  };
  api.setToken = function (t) {
    api.token = t;
    if (t) { sessionStorage.setItem(TOKEN_KEY, t); } else { sessionStorage.removeItem(TOKEN_KEY); }
  };

  function ApiError(status, body) { this.status = status; this.body = body || {}; }
  api.ApiError = ApiError;

  api.request = function (path, params) {
    var url = new URL(path, location.origin);
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) { url.searchParams.set(k, params[k]); }
    });
    return fetch(url.toString(), { headers: { Authorization: "Bearer " + api.token }, cache: "no-store" })
      .then(function (res) {
        if (res.ok) { return res; }
        return res.json().catch(function () { return {}; }).then(function (body) { throw new ApiError(res.status, body); });
      });
  };
  api.getJson = function (path, params) { return api.request(path, params).then(function (r) { return r.json(); }); };

  api.errorText = function (err) {
    if (err instanceof ApiError) { return (err.body && err.body.message) || ("HTTP " + err.status); }
    return "网络错误 / network error";
  };

  /** An element with text (or child nodes) and a class. */
  api.el = function (tag, content, cls) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content === null || content === undefined) { return e; }
    if (Array.isArray(content)) {
      content.forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    } else if (content instanceof Node) {
      e.appendChild(content);
    } else {
      e.textContent = String(content);
    }
    return e;
  };

  /** A link to a case page (the case number is a path segment, so it is encoded). */
  api.caseLink = function (caseId, asOf) {
    var a = document.createElement("a");
    a.href = "/cases/" + encodeURIComponent(caseId) + (asOf ? "?as_of=" + encodeURIComponent(asOf) : "");
    a.textContent = caseId;
    a.className = "case-link";
    return a;
  };

  api.STATE_LABELS = {
    pending: "未开始", running: "计时中", due_soon: "即将到期", met: "按期完成", met_late: "逾期完成",
    breached: "已超期", escalated: "已升级", closed: "已关闭", calendar_missing: "期限待定（日历缺失）",
    no_statutory_period: "无法定期限", withdrawn: "已撤回", suspended: "中止计时"
  };
  api.KIND_LABELS = {
    reply: "书面回复", rectification: "承诺整改", follow_up: "回头看", announcement: "公告期间", lawsuit: "起诉决定"
  };

  /** Shows who is signed in: the unit's name, not its code. */
  api.who = function (m) {
    var parts = [m.name || m.role_label || m.role];
    if (m.region_name && (m.name || "").indexOf(m.region_name) < 0) { parts.push(m.region_name); }
    parts.push(m.role_label || m.role);
    return parts.join(" · ");
  };
  return api;
})();
