/* pilhub supervisors' dashboard: what needs action today (each clock once), counts per district and agency,
 * the clues from supervision models (per model and per district: counts only, every aggregate role), and the
 * annual figures with their charts.
 *
 * Sections come from /api/v1/morning in the order a supervisor works: new breaches and escalations since the
 * last visit, due within 7 days, provisional deadlines (holiday calendar not loaded), long-standing breaches.
 * The last visit is remembered per user in localStorage (the as-of date of the last successful load).
 * body[data-ready] turns "1" after the first load; body[data-version] counts completed loads (tests wait on it).
 */
"use strict";
(function () {
  var P = pilhub, $ = P.$, el = P.el;
  var meta = null, data = null, loads = 0, chartUrls = {};
  var sortKey = null, sortDir = 1;
  var clues = null, clueSort = null, clueDir = 1;

  function filters() {
    return {
      district: $("f-district").value, domain: $("f-domain").value, as_of: $("f-as-of").value,
      since: $("f-since").value, year: $("f-year").value
    };
  }
  function visitKey() { return "pilhub.lastVisit." + (meta ? meta.name + "|" + meta.region : ""); }

  function syncUrl() {
    var f = filters(), q = new URLSearchParams();
    Object.keys(f).forEach(function (k) { if (f[k]) { q.set(k, f[k]); } });
    var t = $("f-text").value.trim();
    if (t) { q.set("q", t); }
    var s = q.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
  }

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }

  function showMessage(text) { var m = $("message"); m.textContent = text || ""; m.hidden = !text; }

  function showLogin(text) {
    P.setToken(null);
    $("main").hidden = true;
    $("logout").hidden = true;
    $("who").textContent = "";
    $("login").hidden = false;
    $("login-error").textContent = text || "";
    document.body.dataset.ready = "1";
  }

  function daysText(it) {
    if (it.days_overdue !== null && it.days_overdue !== undefined) { return "超期 " + it.days_overdue + " 日"; }
    if (it.days_left === null || it.days_left === undefined) { return "—"; }
    return it.days_left === 0 ? "今日届满" : "剩 " + it.days_left + " 日";
  }
  function daysValue(it) {
    if (it.days_overdue !== null && it.days_overdue !== undefined) { return -it.days_overdue; }
    return it.days_left === null || it.days_left === undefined ? 99999 : it.days_left;
  }
  function changedOn(it) { return it.last_escalated_on || it.breached_on || ""; }
  function stateText(it) {
    var s = P.STATE_LABELS[it.state] || it.state;
    if (it.level_label) { s += " · " + it.level_label; }
    if (it.incomplete) { s += " · 回复不完整"; }
    return s;
  }
  function deadlineText(it) {
    var d = it.deadline_official || "—";
    if (it.breach_after && it.breach_after !== it.deadline_official) { d += "（" + it.breach_after + "）"; }
    if (it.calendar_missing) {
      var latest = it.deadline_latest && it.deadline_latest !== it.deadline_official ? " 至 " + it.deadline_latest : "";
      d += latest + "（临时" + (it.calendar_missing_years && it.calendar_missing_years.length ?
        "：" + it.calendar_missing_years.join("、") + "年日历未载入" : "") + "）";
    }
    return d;
  }
  function sortValue(it, key) {
    if (key === "days") { return daysValue(it); }
    if (key === "changed_on") { return changedOn(it); }
    if (key === "state") { return (it.state || "") + (it.level || 0); }
    var v = it[key];
    return v === null || v === undefined ? "" : v;
  }
  function matches(it, text) {
    if (!text) { return true; }
    var hay = [it.case_id, it.case_title, it.district, it.agency_name, it.rec_number].join(" ").toLowerCase();
    return text.toLowerCase().split(/\s+/).every(function (w) { return hay.indexOf(w) >= 0; });
  }

  function renderMorning() {
    var table = $("morning-table");
    Array.prototype.slice.call(table.tBodies).forEach(function (b) { b.remove(); });
    var text = $("f-text").value.trim(), asOf = data.as_of, shown = 0;
    var chips = $("chips");
    chips.textContent = "";
    data.sections.forEach(function (sec) {
      var items = sec.items.filter(function (it) { return matches(it, text); });
      if (sortKey) {
        items = items.slice().sort(function (a, b) {
          var x = sortValue(a, sortKey), y = sortValue(b, sortKey);
          return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
        });
      }
      var chip = el("a", sec.zh + " " + items.length + (items.length !== sec.total ? "/" + sec.total : ""), "chip chip-" + sec.key);
      chip.href = "#sec-" + sec.key;
      chips.appendChild(chip);
      var body = table.createTBody();
      body.id = "sec-" + sec.key;
      body.dataset.section = sec.key;
      var head = body.insertRow();
      head.className = "section-head section-" + sec.key;
      var th = el("th", [sec.zh + " ", el("small", sec.en), " ", el("span", String(items.length), "count")]);
      th.colSpan = 9;
      if (sec.key === "new") { th.appendChild(el("small", "（" + data.since + " 以来 / since）", "since")); }
      head.appendChild(th);
      items.forEach(function (it) {
        var tr = body.insertRow();
        tr.dataset.caseId = it.case_id;
        tr.dataset.state = it.state;
        tr.dataset.section = sec.key;
        tr.dataset.district = it.district;
        tr.dataset.clockKey = it.clock_key;
        tr.appendChild(el("td", P.caseLink(it.case_id, meta && filters().as_of ? asOf : null)));
        tr.appendChild(el("td", it.case_title, "title"));
        tr.appendChild(el("td", it.district));
        tr.appendChild(el("td", it.agency_name || "—"));
        tr.appendChild(el("td", P.KIND_LABELS[it.kind] || it.kind));
        tr.appendChild(el("td", deadlineText(it), "nowrap"));
        tr.appendChild(el("td", daysText(it), "n"));
        tr.appendChild(el("td", stateText(it), "state-" + it.state));
        tr.appendChild(el("td", changedOn(it) || "—", "nowrap"));
        shown += 1;
      });
      if (!items.length) {
        var empty = body.insertRow();
        empty.className = "empty";
        var td = empty.insertCell();
        td.colSpan = 9;
        td.textContent = "无 / none";
      }
    });
    $("count-total").textContent = String(shown) + (shown !== data.total ? "/" + data.total : "");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
      c.dataset.sorted = c.dataset.key === sortKey ? (sortDir > 0 ? "asc" : "desc") : "";
    });
  }

  var SHORT = { "new": "新超期/升级", due: "7日内到期", calendar_missing: "期限待定", long_standing: "长期超期", suspended: "中止" };

  function renderCounts(id, rows, nameKey, nameLabel) {
    var table = $(id);
    var keys = data.sections.map(function (s) { return s.key; }).concat(["total"]);
    table.tHead.textContent = "";
    var hr = table.tHead.insertRow();
    hr.appendChild(el("th", nameLabel));
    keys.forEach(function (k) { hr.appendChild(el("th", k === "total" ? "合计" : (SHORT[k] || k), "n")); });
    var body = table.tBodies[0];
    body.textContent = "";
    rows.forEach(function (r) {
      var tr = body.insertRow();
      tr.dataset.name = r[nameKey];
      tr.appendChild(el("td", r[nameKey]));
      keys.forEach(function (k) {
        tr.appendChild(el("td", String(r[k] || 0), "n" + (k === "new" && r[k] ? " hot" : "") + (k === "total" ? " total" : "")));
      });
    });
    if (!rows.length) { var e = body.insertRow(); e.className = "empty"; var td = e.insertCell(); td.colSpan = keys.length + 1; td.textContent = "无 / none"; }
  }

  function loadMorning() {
    if (meta && !meta.case_level) { return Promise.resolve(); }
    var f = filters();
    var params = { district: f.district, domain: f.domain, as_of: f.as_of, since: f.since };
    return P.getJson("/api/v1/morning", params).then(function (d) {
      data = d;
      if (!f.since) { $("f-since").placeholder = d.since; }
      renderMorning();
      renderCounts("by-district", d.by_district, "district", "地区");
      renderCounts("by-agency", d.by_agency, "agency", "机关");
      try { localStorage.setItem(visitKey(), d.as_of); } catch (e) { /* private mode */ }
    });
  }

  function kpi(box, value, label) {
    box.appendChild(el("div", [el("b", value === null || value === undefined ? "—" : String(value)), el("span", label)], "kpi"));
  }

  function figureParams() {
    var f = filters();
    var year = f.year || (f.as_of ? f.as_of.slice(0, 4) : (meta ? meta.today.slice(0, 4) : ""));
    var p = { year: year, district: f.district, domain: f.domain };
    if (f.as_of && f.as_of.slice(0, 4) >= year) { p.as_of = f.as_of; }
    return p;
  }

  function wan(yuan) {
    return (yuan / 10000).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function loadFigures() {
    var p = figureParams();
    return P.getJson("/api/v1/figures", p).then(function (fig) {
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
      kpi(box, wan(fig.outcomes.money_recovered_yuan), "追回金额（万元）/ recovered, 10k yuan");
      return Promise.all(["domain", "agencies", "trend"].map(function (name) {
        return P.request("/api/v1/charts/" + name, p).then(function (res) { return res.blob(); }).then(function (blob) {
          if (chartUrls[name]) { URL.revokeObjectURL(chartUrls[name]); }
          chartUrls[name] = URL.createObjectURL(blob);
          $("chart-" + name).src = chartUrls[name];
        });
      }));
    });
  }

  function rateText(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }

  function renderClues() {
    var models = clues.models.slice(), bySince = clues.since, titles = {};
    models.forEach(function (m) { titles[m.model] = m.title || m.model; });
    if (clueSort) {
      models.sort(function (a, b) {
        var x = clueSort === "since" ? (bySince[a.model] || 0) : a[clueSort];
        var y = clueSort === "since" ? (bySince[b.model] || 0) : b[clueSort];
        x = x === null || x === undefined ? -1 : x;
        y = y === null || y === undefined ? -1 : y;
        return (x < y ? -1 : x > y ? 1 : 0) * clueDir;
      });
    }
    var table = $("clue-models"), body = table.tBodies[0], showSince = bySince !== null;
    body.textContent = "";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
      c.dataset.sorted = c.dataset.key === clueSort ? (clueDir > 0 ? "asc" : "desc") : "";
      if (c.dataset.key === "since") { c.hidden = !showSince; }
    });
    models.forEach(function (m) {
      var tr = body.insertRow();
      tr.dataset.model = m.model;
      tr.appendChild(el("td", titles[m.model]));
      tr.appendChild(el("td", String(m.hits), "n hits"));
      var fresh = showSince ? bySince[m.model] || 0 : 0;
      var since = el("td", String(fresh), "n since" + (fresh ? " hot" : ""));
      since.hidden = !showSince;
      tr.appendChild(since);
      tr.appendChild(el("td", String(m.accepted), "n"));
      tr.appendChild(el("td", String(m.rejected), "n"));
      tr.appendChild(el("td", String(m.cases_opened), "n"));
      tr.appendChild(el("td", rateText(m.rate), "n"));
    });
    var dbody = $("clue-districts").tBodies[0];
    dbody.textContent = "";
    clues.new_by_district.forEach(function (d) {
      var tr = dbody.insertRow();
      tr.dataset.model = d.model;
      tr.appendChild(el("td", titles[d.model] || d.model));
      tr.appendChild(el("td", d.district || d.region_code || "未注明 / not given"));
      tr.appendChild(el("td", String(d.new), "n"));
    });
    if (!clues.new_by_district.length) {
      var e = dbody.insertRow(); e.className = "empty"; var td = e.insertCell(); td.colSpan = 3;
      td.textContent = "无待处理新线索 / no new clues";
    }
    // No empty frame: without any clue the panel is not shown at all.
    $("clues").hidden = !models.length;
  }

  function loadClues() {
    var since = filters().since;
    var all = P.getJson("/api/v1/clues/figures", {});
    var fresh = since ? P.getJson("/api/v1/clues/figures", { since: since }) : Promise.resolve(null);
    return Promise.all([all, fresh]).then(function (res) {
      var bySince = null;
      if (res[1]) { bySince = {}; res[1].models.forEach(function (m) { bySince[m.model] = m.hits; }); }
      clues = { models: res[0].models, new_by_district: res[0].new_by_district, since: bySince };
      renderClues();
    }).catch(function (err) {
      // A role without the aggregates sees no clue panel; any other failure is the page's error.
      if (err instanceof P.ApiError && err.status === 403) { $("clues").hidden = true; return; }
      throw err;
    });
  }

  function done() {
    loads += 1;
    document.body.dataset.version = String(loads);
    document.body.dataset.ready = "1";
  }

  function reload() {
    syncUrl();
    showMessage(meta && !meta.case_level ? "当前角色只能查看汇总统计 / your role sees aggregates only" : "");
    return Promise.all([loadMorning(), loadClues(), loadFigures()]).then(done).catch(function (err) {
      if (err instanceof P.ApiError && err.status === 401) { showLogin(P.errorText(err)); return; }
      showMessage(P.errorText(err));
      done();
    });
  }

  function download(format) {
    var p = figureParams();
    p.format = format;
    P.request("/api/v1/report", p).then(function (res) { return res.blob(); }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "pilhub-report-" + p.year + "." + format;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (err) { showMessage(P.errorText(err)); });
  }

  function start() {
    P.getJson("/api/v1/meta").then(function (m) {
      meta = m;
      $("login").hidden = true;
      $("main").hidden = false;
      $("logout").hidden = false;
      $("who").textContent = P.who(m);
      document.body.dataset.role = m.role;
      Array.prototype.forEach.call(document.querySelectorAll(".case-level"), function (n) { n.hidden = !m.case_level; });
      var q = new URLSearchParams(location.search);
      var d = $("f-district"), dom = $("f-domain");
      [d, dom].forEach(function (s) { while (s.options.length > 1) { s.remove(1); } });
      m.districts.forEach(function (x) { option(d, x.name, x.name); });
      m.domains.forEach(function (x) { option(dom, x.code, x.label); });
      d.value = q.get("district") || "";
      dom.value = q.get("domain") || "";
      $("f-as-of").value = q.get("as_of") || "";
      var last = null;
      try { last = localStorage.getItem(visitKey()); } catch (e) { last = null; }
      var asOf = q.get("as_of") || m.today;
      $("f-since").value = q.get("since") || (last && last < asOf ? last : "");
      $("f-text").value = q.get("q") || "";
      $("f-year").value = q.get("year") || asOf.slice(0, 4);
      return reload();
    }).catch(function (err) {
      showLogin(err instanceof P.ApiError && err.status === 401 ? "令牌无效或已过期 / invalid or expired token" : P.errorText(err));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["f-district", "f-domain", "f-as-of", "f-since", "f-year"].forEach(function (id) { $(id).addEventListener("change", reload); });
    $("f-text").addEventListener("input", function () { if (data) { renderMorning(); syncUrl(); } });
    Array.prototype.forEach.call($("morning-table").tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () {
        if (sortKey === th.dataset.key) { sortDir = -sortDir; } else { sortKey = th.dataset.key; sortDir = 1; }
        if (data) { renderMorning(); }
      });
    });
    Array.prototype.forEach.call($("clue-models").tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () {
        if (clueSort === th.dataset.key) { clueDir = -clueDir; } else { clueSort = th.dataset.key; clueDir = 1; }
        if (clues) { renderClues(); }
      });
    });
    $("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      P.setToken($("token-input").value.trim());
      $("token-input").value = "";
      start();
    });
    $("logout").addEventListener("click", function () { showLogin(""); });
    Array.prototype.forEach.call(document.querySelectorAll(".downloads button"), function (b) {
      b.addEventListener("click", function () { download(b.dataset.format); });
    });
    if (P.takeToken()) { start(); } else { showLogin(""); }
  });
})();
