/* pilhub case page: one case on one page — facts, parties (masked per role by the API), recommendations,
 * each clock with the rule and the computation of its deadline, and the timeline of everything that happened.
 * The case number is the last path segment; ?as_of=YYYY-MM-DD evaluates the clocks on that day.
 * body[data-ready] turns "1" when the page has loaded (tests wait on it).
 */
"use strict";
(function () {
  var P = pilhub, $ = P.$, el = P.el;
  var PARTY_KINDS = { person: "自然人", company: "企业", agency: "机关", organisation: "组织", government: "人民政府" };
  var REC_STATUS = { replied_on_time: "按期回复", replied_late: "逾期回复", unreplied_overdue: "逾期未回复", pending: "尚在期限内" };
  var CASE_STATUS = { open: "办理中", closed: "已办结" };

  function fail(text) {
    var m = $("message");
    m.textContent = text;
    m.hidden = false;
    document.body.dataset.ready = "1";
  }

  function fact(dl, label, value) {
    dl.appendChild(el("dt", label));
    dl.appendChild(el("dd", value === null || value === undefined || value === "" ? "—" : String(value)));
  }

  function wan(yuan) { return (yuan / 10000).toLocaleString("zh-CN", { maximumFractionDigits: 2 }) + " 万元"; }

  function renderParties(c) {
    var pb = $("parties").tBodies[0];
    pb.textContent = "";
    c.parties.forEach(function (p) {
      var tr = pb.insertRow();
      tr.dataset.kind = p.kind;
      var address = p.address || "—";
      var name = (p.name || "—") + (p.id_number ? "（" + p.id_number + (p.phone ? "，" + p.phone : "") + "）" : "");
      [String(p.position), PARTY_KINDS[p.kind] || p.kind, name, p.credit_code || "—", address].forEach(function (v) {
        tr.appendChild(el("td", v));
      });
    });
    if (!c.parties.length) { var e = pb.insertRow(); e.className = "empty"; var td = e.insertCell(); td.colSpan = 5; td.textContent = "无 / none"; }
    $("masked-note").textContent = c.personal_data_revealed ? "（已显示个人信息，已记入审计 / revealed, audited）" :
      "（自然人信息已遮蔽 / natural persons masked）";
    $("reveal").hidden = c.personal_data_revealed || !c.parties.some(function (p) { return p.kind === "person"; });
  }

  function renderCase(c) {
    document.title = c.case_id + " · pilhub";
    $("case-id").textContent = c.case_id;
    $("case-title").textContent = c.case_id + "　" + c.title;
    var dl = $("case-facts");
    fact(dl, "领域 / domain", c.domain_label);
    fact(dl, "程序 / procedure", c.procedure_label);
    fact(dl, "地区 / district", c.district + "（" + c.region_code + "）");
    fact(dl, "立案日期 / filed", c.opened_on);
    fact(dl, "状态 / status", (CASE_STATUS[c.status] || c.status) + (c.litigation_status ? " · " + c.litigation_status : ""));
    fact(dl, "承办检察官 / procurator", c.procurator);
    fact(dl, "修复土地 / land restored", c.outcomes.land_restored_mu + " 亩");
    fact(dl, "追回金额 / recovered", wan(c.outcomes.money_recovered_yuan));
    renderParties(c);
    var rb = $("recs").tBodies[0];
    c.recommendations.forEach(function (r) {
      var tr = rb.insertRow();
      var replies = r.replies.map(function (x) { return x.replied_on + (x.has_evidence ? "（附证明材料）" : ""); }).join("；");
      var rect = r.rectified ? "已整改" : (r.rectification_overdue ? "整改逾期" : "—");
      [r.rec_number + (r.urgent ? "（紧急）" : ""), r.agency_name, r.issued_on, r.received_on || "未送达",
       r.reply_deadline || "—", (REC_STATUS[r.status] || r.status) + (replies ? "：" + replies : ""), rect].forEach(function (v) {
        tr.appendChild(el("td", v));
      });
    });
    if (!c.recommendations.length) { var e2 = rb.insertRow(); e2.className = "empty"; var td2 = e2.insertCell(); td2.colSpan = 7; td2.textContent = "无 / none"; }
  }

  function lines(list) {
    var ul = el("ul", null, "why");
    (list || []).forEach(function (line) { ul.appendChild(el("li", line)); });
    return ul;
  }

  function days(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / 86400000); }

  /** The clock as a bar from its start to its deadline (ServiceNow-style SLA bar): elapsed share, the as-of
   * day, and the part past the deadline in red. Dates only; the explanation below says why each is what it is. */
  function slaBar(k, asOf) {
    if (!k.start_on || !k.deadline_official) { return null; }
    var end = k.resolved_on || asOf;
    var total = Math.max(1, days(k.start_on, k.breach_after || k.deadline_official));
    var used = Math.max(0, days(k.start_on, end));
    var wrap = el("div", null, "sla");
    wrap.dataset.clockKey = k.clock_key;
    var track = el("div", null, "sla-track");
    var scale = Math.max(total, used);
    var fill = el("div", null, "sla-fill sla-" + k.state);
    fill.style.width = (100 * Math.min(used, total) / scale).toFixed(1) + "%";
    track.appendChild(fill);
    if (used > total) {
      var over = el("div", null, "sla-over");
      over.style.left = (100 * total / scale).toFixed(1) + "%";
      over.style.width = (100 * (used - total) / scale).toFixed(1) + "%";
      track.appendChild(over);
    }
    wrap.appendChild(track);
    var when = k.resolved_on ? "完成于 / done " + k.resolved_on : "截至 / as of " + asOf;
    wrap.appendChild(el("div", k.start_on + " 起算 · 已用 " + Math.min(used, 99999) + " / " + total + " 日 · " + when +
      " · 届满 " + k.deadline_official + (k.breach_after && k.breach_after !== k.deadline_official ? "（" + k.breach_after + "）" : ""), "sla-caption"));
    return wrap;
  }

  var asOfDate = "";

  function renderClocks(t) {
    asOfDate = t.as_of;
    var box = $("clocks");
    t.clocks.forEach(function (k) {
      var div = el("div", null, "clock");
      div.dataset.clockKey = k.clock_key;
      div.dataset.state = k.state;
      var title = k.kind_label.split(" / ")[0] + (k.rec_number ? " · " + k.rec_number : "") + (k.agency ? " · " + k.agency : "");
      div.appendChild(el("h3", [title + " ", el("span", k.state_label + (k.days_overdue ? "，超期 " + k.days_overdue + " 日" :
        (k.days_left !== null && k.days_left !== undefined ? "，剩 " + k.days_left + " 日" : "")), "state-" + k.state)]));
      var bar = slaBar(k, asOfDate);
      if (bar) { div.appendChild(bar); }
      var ex = k.explanation || {};
      if (ex.rule) { div.appendChild(el("p", "依据 / rule：" + ex.rule, "rule")); }
      if (ex.start) { div.appendChild(el("p", ex.start, "rule")); }
      if (ex.official && ex.official.length) { div.appendChild(lines(ex.official)); }
      if (ex.all_weekends && ex.all_weekends.length) {
        div.appendChild(el("p", "另一口径（全部周末休息）/ the all-weekends reading — 以较晚者判断超期：", "rule"));
        div.appendChild(lines(ex.all_weekends));
      }
      if (ex.calendar_missing_years && ex.calendar_missing_years.length) {
        div.appendChild(el("p", "期限为临时：" + ex.calendar_missing_years.join("、") + " 年官方节假日安排未载入（pilhub calendar load）。" +
          " / provisional: the holiday calendar of that year is not loaded.", "error"));
      }
      (ex.replies || []).forEach(function (r) {
        if (r.counted === false) { div.appendChild(el("p", "第" + r.seq + "次回复（" + r.replied_on + "）不停止计时：" + r.why, "rule")); }
      });
      if (ex.outcome) { div.appendChild(el("p", "结果 / outcome：" + ex.outcome, "rule")); }
      if (ex.note) { div.appendChild(el("p", ex.note, "rule")); }
      if (k.escalation_levels && k.escalation_levels.length) {
        div.appendChild(el("p", "升级规则 / escalation ladder：" + k.escalation_levels.map(function (l) {
          return l.level + "级 " + l.label + "（" + (l.offset_days < 0 ? "届满前 " + (-l.offset_days) : "超期后 " + l.offset_days) + " 日）";
        }).join("；"), "rule"));
      }
      box.appendChild(div);
    });
    if (!t.clocks.length) { box.appendChild(el("p", "本案无期限 / no clocks for this case", "rule")); }
  }

  function renderTimeline(t) {
    $("as-of").textContent = "（截至 / as of " + t.as_of + "）";
    var ol = $("timeline");
    t.events.forEach(function (e) {
      var li = el("li", null, "ev-" + e.kind + (e.date && e.date > t.as_of ? " future" : ""));
      li.dataset.kind = e.kind;
      li.dataset.date = e.date || "";
      li.appendChild(el("span", e.date || "日期未知", "date"));
      li.appendChild(el("span", e.label, "label"));
      li.appendChild(el("div", e.text));
      if (e.kind === "deadline") {
        if (e.rule) { li.appendChild(el("div", "依据 / rule：" + e.rule, "rule")); }
        if (e.state_label) { li.appendChild(el("div", "状态 / state：" + e.state_label, "rule state-" + e.state)); }
      }
      if (e.kind === "escalation" && e.notices && e.notices.length) {
        li.appendChild(lines(e.notices.map(function (n) {
          return n.channel + " → " + n.recipient + "：" + n.subject + "（" + n.status_label + (n.sent_at ? " " + n.sent_at.slice(0, 16) : "") + "）";
        })));
      }
      if (e.kind === "record_linked") {
        li.appendChild(el("div", "关联依据 / evidence", "rule"));
        li.appendChild(lines(e.evidence || []));
      }
      if (e.kind === "correction" && e.actor) { li.appendChild(el("div", "更正人 / by " + e.actor, "rule")); }
      if (e.kind === "event" && e.recorded_by) { li.appendChild(el("div", "登记 / recorded by " + e.recorded_by + "，" + e.recorded_on, "rule")); }
      ol.appendChild(li);
    });
  }

  function start() {
    var caseId = decodeURIComponent(location.pathname.replace(/^\/cases\//, ""));
    var asOf = new URLSearchParams(location.search).get("as_of") || "";
    $("case-id").textContent = caseId;
    P.getJson("/api/v1/meta").then(function (m) {
      $("who").textContent = P.who(m);
      document.body.dataset.role = m.role;
      if (!m.case_level) { throw new P.ApiError(403, { message: "当前角色只能查看汇总统计 / your role sees aggregates only" }); }
      var enc = encodeURIComponent(caseId);
      return Promise.all([P.getJson("/api/v1/cases/" + enc), P.getJson("/api/v1/cases/" + enc + "/timeline", { as_of: asOf })]);
    }).then(function (res) {
      renderCase(res[0]);
      renderClocks(res[1]);
      renderTimeline(res[1]);
      $("case").hidden = false;
      document.body.dataset.ready = "1";
    }).catch(function (err) {
      if (err instanceof P.ApiError && err.status === 401) { location.href = "/dashboard"; return; }
      fail(P.errorText(err));
    });
  }

  function reveal() {
    var caseId = decodeURIComponent(location.pathname.replace(/^\/cases\//, ""));
    P.getJson("/api/v1/cases/" + encodeURIComponent(caseId), { reveal: "true" }).then(renderParties).catch(function (err) {
      fail(P.errorText(err));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("reveal").addEventListener("click", reveal);
    if (P.takeToken()) { start(); } else { location.href = "/dashboard"; }
  });
})();
