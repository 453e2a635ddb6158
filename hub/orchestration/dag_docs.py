"""The text Airflow shows on each DAG's page (``doc_md``): what it does, when it runs, what to do when it fails.

Why one text per DAG, in Chinese and English: the people who open the Airflow UI at a procuratorate are
operators on duty, not the developers; the module docstring of a DAG file (shared by several DAGs, in
English, about the implementation) told them neither what the run is for nor what to do when it is red.
Times are Beijing time: every DAG is scheduled in Asia/Shanghai (``hub.orchestration.defaults.TIMEZONE``).
"""

from __future__ import annotations

_FAILED_COMMON_ZH = (
    "任务失败时已自动重试（最多 3 次，间隔递增），并已通过告警渠道通知运维。"
    "查看失败任务的日志（任务实例 → Logs）；日志不含个人信息。"
)
_FAILED_COMMON_EN = (
    "A failed task has already been retried (up to 3 times, with growing delays) and the on-call operator alerted. "
    "Read the failed task's log (task instance → Logs); logs hold no personal data."
)


def _doc(title_zh: str, title_en: str, what_zh: str, what_en: str, when: tuple[str, str], fail: tuple[str, str]) -> str:
    return (
        f"### {title_zh} / {title_en}\n\n"
        f"**做什么**：{what_zh}\n\n"
        f"**何时运行**：{when[0]}\n\n"
        f"**失败时怎么办**：{_FAILED_COMMON_ZH}{fail[0]}\n\n"
        "---\n\n"
        f"**What it does**: {what_en}\n\n"
        f"**When it runs**: {when[1]}\n\n"
        f"**When it fails**: {_FAILED_COMMON_EN} {fail[1]}\n"
    )


def ingest_doc(agency_title: str, connector: str, kinds: list[str]) -> str:
    """The page of ``pilhub_ingest_<connector>``."""
    listed = "、".join(kinds)
    return _doc(
        f"拉取 {agency_title} 数据",
        f"pull data from {connector}",
        f"按本次数据区间从{agency_title}的接口拉取记录（{listed}），原样落地（加密），逐条校验（字段、格式、区划代码等）"
        "并按批校验（Great Expectations），合格记录入库，不合格的进入隔离区并写明原因；重复送达的记录计为重复，不会重复入库。"
        "完成后发布记录更新事件，触发关联 DAG。",
        f"Pulls the records ({', '.join(kinds)}) of the run's data interval from the agency's interface, lands them "
        "raw (encrypted), validates each record and each batch, loads the valid ones and quarantines the rest with "
        "their reasons; re-delivered records count as duplicates and never load twice. Then publishes the record "
        "assets, which starts the matching DAG.",
        ("每日北京时间 00:00，拉取前一日的数据。", "daily at 00:00 Beijing time, for the previous day."),
        (
            "若为接口不可达或证书、签名错误：联系该单位信息中心，恢复后在本页点 Trigger 重跑（可在参数中填写 since/until "
            "补拉某一时段，已入库记录计为重复）。若为校验失败过多：用 `pilhub quarantine list` 查看原因，必要时与该单位核对数据格式。",
            "If the interface is unreachable or a certificate / signature fails: contact the agency's IT office, then "
            "press Trigger here (set since/until to re-pull a window; records already loaded count as duplicates). If too "
            "many records fail validation: `pilhub quarantine list` shows the reasons; check the format with the agency.",
        ),
    )


MATCHING = _doc(
    "记录与案件关联",
    "link agency records to cases",
    "把新入库的单位记录（处罚、回复、判决等）与办理中的案件关联：高分自动关联，临界的送人工复核，并记录每项比对的依据。"
    "关联上的回复记录会停止相应的回复期限。",
    "Links newly loaded agency records (penalties, replies, judgments …) to open cases: high scores link, borderline "
    "pairs go to review, each with the evidence of the match. A linked reply stops its reply clock.",
    (
        "任一拉取 DAG 发布新记录后自动运行（不按时间）。",
        "whenever an ingestion DAG has published new records (no time schedule).",
    ),
    (
        "关联可安全重跑（不会重复关联）：排除原因后在本页点 Trigger。待复核的配对用 `pilhub review list` 处理。",
        "Matching is safe to re-run (nothing links twice): fix the cause and press Trigger. Pairs sent to review are "
        "handled with `pilhub review list`.",
    ),
)

CLUE_MODELS = _doc(
    "监督模型线索发现",
    "supervision models: finding clues",
    "登记行政机关新移送的线索并检查答复、反馈时钟（逾期提醒一次），然后以运行日为基准日运行全部监督模型"
    "（生态修复未落实、屡罚屡犯、整改反弹等，见 `pilhub clues models`），把命中保存为线索：同一模型同一对象只有一条线索，"
    "重跑只更新证据，不再成立的标记为不成立、不删除；整改反弹重新开启回头看。",
    "Registers the clues agencies transferred and checks the answer and feedback clocks (one reminder when overdue), "
    "then runs every supervision model (restoration-missing, repeat-offender, rebound … see `pilhub clues models`) "
    "at the run's date and stores the hits as clues: one clue per model and subject, a re-run refreshes its "
    "evidence, a clue that no longer holds is marked so, never deleted; a rebound reopens the follow-up.",
    (
        "模型读取的记录类型有新数据入库时自动运行（不按时间）；也可手动运行并在参数中填写 as_of。",
        "whenever records of a kind the models read were published (no time schedule); or manually with as_of.",
    ),
    (
        "模型运行可安全重跑（不会产生重复线索）。若为模型文件错误：`pilhub clues check 文件` 会指出文件、键和行号，修正后在本页点 "
        "Trigger。",
        "Runs are safe to repeat (no duplicate clues). If a model file is wrong, `pilhub clues check FILE` names the "
        "file, key and line; fix it and press Trigger.",
    ),
)

SLA_SWEEP = _doc(
    "期限巡检与逐级督促",
    "deadline sweep and escalation",
    "按法定期间和官方节假日安排重新计算每个检察建议的回复、整改、回头看和公告期限，判断即将到期、超期和升级级别，"
    "并把每一级督促通知写入发件箱（由数据库保证每条通知只发一次）。所在年度节假日安排未录入的期限只给出范围，不认定超期。",
    "Recomputes every reply, rectification, follow-up and announcement deadline under the statutory periods and the "
    "official holiday calendar, finds clocks due soon, breached or escalated, and queues one notice per escalation "
    "level (the database guarantees each is sent once). A deadline in a year without the official calendar gets a "
    "range and is never declared breached.",
    ("每小时一次（北京时间整点）。", "hourly, on the hour (Beijing time)."),
    (
        "巡检可安全重跑（已发出的升级不会重复）：排除原因后点 Trigger，可在参数 as_of 中指定评估日期。"
        "若提示某年节假日安排缺失：国务院通知公布后用 `pilhub calendar import 通知.txt` 录入，下次巡检即调整期限。",
        "The sweep is safe to re-run (escalations already queued are not repeated): press Trigger, optionally with "
        "as_of. If a year's holiday calendar is reported missing, load the State Council notice once published "
        "(`pilhub calendar import NOTICE.txt`); the next sweep moves the clocks.",
    ),
)

OUTBOX = _doc(
    "通知发送",
    "deliver notifications",
    "把发件箱中待发送的督促通知通过站内信、邮件或群机器人发出，失败的按退避策略重试，多次失败的标为发送失败。",
    "Sends the queued notices (inbox, e-mail, group robot); failures are retried with back-off and eventually marked "
    "dead.",
    ("每 5 分钟一次。", "every 5 minutes."),
    (
        "发送是幂等的（每条通知只发一次）。邮件服务器或机器人地址不可用时，检查 PILHUB_SMTP_* 配置与网络；"
        "发送失败的通知可用 `pilhub outbox` 命令查看和重发。",
        "Delivery is idempotent (each notice once). If the mail server or robot is unreachable, check the PILHUB_SMTP_* "
        "settings and the network; dead notices are listed and retried with the `pilhub outbox` commands.",
    ),
)

DAILY_DIGEST = _doc(
    "每日到期与超期提醒",
    "daily digest",
    "每天早上给每位承办检察官发一份清单：今天需要处理的新超期、即将到期的回复和整改期限。",
    "Sends each case procurator a morning list: new breaches and replies or rectifications falling due.",
    ("每日北京时间 08:00。", "daily at 08:00 Beijing time."),
    (
        "可安全重跑（同一天的提醒不会重复发送）：排除原因后点 Trigger，可在参数 as_of 中指定日期。",
        "Safe to re-run (a day's digest is not sent twice): press Trigger, optionally with as_of.",
    ),
)


def report_doc(kind: str) -> str:
    """The page of ``pilhub_report_monthly`` / ``pilhub_report_annual``."""
    annual = kind == "annual"
    return _doc(
        "年度公益诉讼工作报告数据" if annual else "月度履职情况汇总",
        "annual compliance report" if annual else "monthly compliance summary",
        ("生成上一年度" if annual else "生成上一月")
        + "的履职情况汇总（立案、检察建议回复与整改、各机关按期回复率、办案成效），输出 XLSX、PDF、HTML、JSON，"
        "登记摘要并发送给配置的收件人（人大常委会等）。报告只含汇总数据，不含个人信息。",
        ("Builds last year's" if annual else "Builds last month's")
        + " compliance summary (cases, replies and rectification, each agency's on-time rate, outcomes) as XLSX, "
        "PDF, HTML and JSON, records its digest and sends it to the configured recipients (the people's congress "
        "standing committee …). Aggregates only, no personal data.",
        ("每年 1 月 1 日北京时间 00:00。", "on 1 January at 00:00 Beijing time.")
        if annual
        else ("每月 1 日北京时间 00:00。", "on the 1st of each month at 00:00 Beijing time."),
        (
            "可安全重跑（同一期间的报告覆盖生成并重新登记）；补做某一期间：点 Trigger 并在参数中填写 "
            + ("year（如 2018）" if annual else "month（如 2018-06）")
            + "。PDF 失败多为缺少打印组件（weasyprint 或 chromium）。",
            "Safe to re-run (the period's files are regenerated and recorded again); for another period press Trigger "
            + ("with year (e.g. 2018)." if annual else "with month (e.g. 2018-06).")
            + " A failing PDF usually means no printer (weasyprint or chromium) is installed.",
        ),
    )
