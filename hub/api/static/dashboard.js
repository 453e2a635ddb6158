/* pilhub supervisors' dashboard: due soon / overdue / escalated lists with filters, and the annual figures.
 *
 * The page holds no data: everything comes from the API with the user's bearer token, which is kept in
 * sessionStorage (this tab only). A token may be handed over in the URL fragment (#token=…): fragments are
 * never sent to the server, and the page removes it from the address bar at once.
 * All text is inserted with textContent (never innerHTML), so no stored value can inject markup.
 * body[data-ready] turns "1" after the first load; body[data-version] counts completed list loads (tests wait on it).
 */
"use strict";
(function () {
  var VIEWS = ["due_soon", "overdue", "escalated"];
  var STATE_LABELS = { due_soon: "即将到期", calendar_missing: "期限待定（日历缺失）", breached: "已超期", escalated: "已升级" };
  var KIND_LABELS = { reply: "书面回复", rectification: "承诺整改", follow_up: "回头看", announcement: "公告期间" };
  var COLUMNS = ["案件编号", "案件", "地区", "机关", "期限类型", "届满日", "天数", "状态"];
  var TOKEN_KEY = "pilhub.token";
  var token = null;
  var meta = null;
  var loads = 0;
  var chartUrls = {};

  function $(id) { return document.getElementById(id); }

  function takeToken() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash || "");
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function ApiError(status, body) { this.status = status; this.body = body || {}; }

  function request(path, params) {
    var url = new URL(path, location.origin);
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) { url.searchParams.set(k, params[k]); }
    });
    return fetch(url.toString(), { headers: { Authorization: "Bearer " + token }, cache: "no-store" })
      .then(function (res) {
        if (res.ok) { return res; }
        return res.json().catch(function () { return {}; }).then(function (body) { throw new ApiError(res.status, body); });
      });
  }
  function getJson(path, params) { return request(path, params).then(function (r) { return r.json(); }); }

  function filters() {
    return {
      district: $("f-district").value,
      domain: $("f-domain").value,
      state: $("f-state").value,
      as_of: $("f-as-of").value,
      year: $("f-year").value
    };
  }

  function syncUrl() {
    var f = filters();
    var q = new URLSearchParams();
    Object.keys(f).forEach(function (k) { if (f[k]) { q.set(k, f[k]); } });
    var s = q.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
  }

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }

  function showMessage(text) {
    var m = $("message");
    m.textContent = text || "";
    m.hidden = !text;
  }

  function errorText(err) {
    if (err instanceof ApiError) { return (err.body && err.body.message) || ("HTTP " + err.status); }
    return "网络错误 / network error";
  }

  function showLogin(text) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    $("main").hidden = true;
    $("logout").hidden = true;
    $("who").textContent = "";
    $("login").hidden = false;
    $("login-error").textContent = text || "";
    document.body.dataset.ready = "1";
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }

  function renderList(view, data) {
    var table = $("list-" + view);
    var head = table.tHead;
    if (!head.rows.length) {
      var hr = head.insertRow();
      COLUMNS.forEach(function (c) { var th = document.createElement("th"); th.textContent = c; hr.appendChild(th); });
    }
    var body = table.tBodies[0];
    body.textContent = "";
    data.items.forEach(function (it) {
      var tr = document.createElement("tr");
      tr.dataset.caseId = it.case_id;
      tr.dataset.state = it.state;
      tr.dataset.district = it.district;
      tr.dataset.domain = it.domain;
      cell(tr, it.case_id);
      cell(tr, it.case_title);
      cell(tr, it.district);
      cell(tr, it.agency_name);
      cell(tr, KIND_LABELS[it.kind] || it.kind);
      cell(tr, it.deadline_official + (it.breach_after && it.breach_after !== it.deadline_official ? "（" + it.breach_after + "）" : ""));
      if (it.days_overdue !== null && it.days_overdue !== undefined) { cell(tr, "超期 " + it.days_overdue + " 日", "n"); }
      else { cell(tr, it.days_left === null ? null : "剩 " + it.days_left + " 日", "n"); }
      cell(tr, (STATE_LABELS[it.state] || it.state) + (it.level_label ? " · " + it.level_label : ""), "state-" + it.state);
      body.appendChild(tr);
    });
    if (!data.items.length) {
      var tr = body.insertRow();
      tr.className = "empty";
      var td = tr.insertCell();
      td.colSpan = COLUMNS.length;
      td.textContent = "无 / none";
    }
    $("count-" + view).textContent = String(data.total);
  }

  function loadLists() {
    var f = filters();
    if (meta && !meta.case_level) {
      $("lists").hidden = true;
      return Promise.resolve();
    }
    var params = { district: f.district, domain: f.domain, state: f.state, as_of: f.as_of };
    return Promise.all(VIEWS.map(function (view) {
      return getJson("/api/v1/clocks/" + view, params).then(function (data) { renderList(view, data); });
    }));
  }

  function kpi(box, value, label) {
    var div = document.createElement("div");
    div.className = "kpi";
    var b = document.createElement("b");
    b.textContent = value === null || value === undefined ? "—" : String(value);
    var s = document.createElement("span");
    s.textContent = label;
    div.appendChild(b);
    div.appendChild(s);
    box.appendChild(div);
  }

  function figureParams() {
    var f = filters();
    var year = f.year || (f.as_of ? f.as_of.slice(0, 4) : (meta ? meta.today.slice(0, 4) : ""));
    var p = { year: year, district: f.district, domain: f.domain };
    if (f.as_of && f.as_of.slice(0, 4) >= year) { p.as_of = f.as_of; }
    return p;
  }

  function loadFigures() {
    var p = figureParams();
    return getJson("/api/v1/figures", p).then(function (fig) {
      $("fig-title").textContent = fig.title;
      var box = $("kpis");
      box.textContent = "";
      var r = fig.recommendations;
      kpi(box, fig.cases_total, "立案（件）/ cases");
      kpi(box, r.issued, "检察建议（件）/ recommendations");
      kpi(box, r.on_time_rate === null ? null : r.on_time_rate.toFixed(1) + "%", "按期回复率 / on-time rate");
      kpi(box, r.unreplied_overdue, "逾期未回复 / overdue, no reply");
      kpi(box, r.pending, "尚在期限内 / pending");
      kpi(box, r.rectified, "已整改 / rectified");
      kpi(box, fig.outcomes.money_recovered_yuan.toLocaleString("zh-CN"), "追回金额（元）/ yuan recovered");
      return Promise.all(["domain", "agencies", "trend"].map(function (name) {
        return request("/api/v1/charts/" + name, p).then(function (res) { return res.blob(); }).then(function (blob) {
          if (chartUrls[name]) { URL.revokeObjectURL(chartUrls[name]); }
          chartUrls[name] = URL.createObjectURL(blob);
          $("chart-" + name).src = chartUrls[name];
        });
      }));
    });
  }

  function reload() {
    syncUrl();
    showMessage("");
    return Promise.all([loadLists(), loadFigures()]).then(function () {
      loads += 1;
      document.body.dataset.version = String(loads);
      document.body.dataset.ready = "1";
    }).catch(function (err) {
      if (err instanceof ApiError && err.status === 401) { showLogin(errorText(err)); return; }
      showMessage(errorText(err));
      loads += 1;
      document.body.dataset.version = String(loads);
      document.body.dataset.ready = "1";
    });
  }

  function download(format) {
    var p = figureParams();
    p.format = format;
    request("/api/v1/report", p).then(function (res) { return res.blob(); }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "pilhub-report-" + p.year + "." + format;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (err) { showMessage(errorText(err)); });
  }

  function start() {
    getJson("/api/v1/meta").then(function (m) {
      meta = m;
      $("login").hidden = true;
      $("main").hidden = false;
      $("logout").hidden = false;
      $("who").textContent = m.role + (m.region ? " · " + m.region : "");
      var q = new URLSearchParams(location.search);
      var d = $("f-district"), dom = $("f-domain"), st = $("f-state");
      [d, dom, st].forEach(function (s) { while (s.options.length > 1) { s.remove(1); } });
      m.districts.forEach(function (x) { option(d, x.name, x.name); });
      m.domains.forEach(function (x) { option(dom, x.code, x.label); });
      m.clock_states.forEach(function (x) { option(st, x.code, x.label); });
      d.value = q.get("district") || "";
      dom.value = q.get("domain") || "";
      st.value = q.get("state") || "";
      $("f-as-of").value = q.get("as_of") || "";
      $("f-year").value = q.get("year") || (q.get("as_of") || m.today).slice(0, 4);
      if (!m.case_level) { showMessage("当前角色只能查看汇总统计 / your role sees aggregates only"); }
      return reload();
    }).catch(function (err) {
      showLogin(err instanceof ApiError && err.status === 401 ? "令牌无效或已过期 / invalid or expired token" : errorText(err));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["f-district", "f-domain", "f-state", "f-as-of", "f-year"].forEach(function (id) {
      $(id).addEventListener("change", reload);
    });
    $("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      token = $("token-input").value.trim();
      $("token-input").value = "";
      sessionStorage.setItem(TOKEN_KEY, token);
      start();
    });
    $("logout").addEventListener("click", function () { showLogin(""); });
    Array.prototype.forEach.call(document.querySelectorAll(".downloads button"), function (b) {
      b.addEventListener("click", function () { download(b.dataset.format); });
    });
    token = takeToken();
    if (token) { start(); } else { showLogin(""); }
  });
})();
