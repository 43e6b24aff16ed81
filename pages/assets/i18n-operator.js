// The phone line console's words (pages/operator/), added to the pages' dictionary (i18n.js).
(function () {
  "use strict";
  var add = {
    zh: {
      "op.title": "话务预约台", "op.login": "话务员登录",
      "op.keys": "快捷键：F2 预约号 · F3 身份证号 · F6 新预约 · Esc 关闭",
      "op.byReference": "按预约号查找", "op.reference": "预约号",
      "op.referenceHint": "来电人读出的8位预约号；字母大小写、空格、横线不限，O 视为 0，I、L 视为 1",
      "op.byIdentity": "按身份证号和手机号查找", "op.find": "查找",
      "op.caller": "来电人", "op.confirm": "请与来电人核对姓名和手机号后四位，一致后再办理。",
      "op.limits": "本月取消 {c} 次 · 六个月内爽约 {n} 次", "op.suspended": "预约资格暂停至 {until}",
      "op.bookings": "来电人的预约", "op.book": "新预约", "op.reschedule": "改期", "op.cancel": "取消预约",
      "op.resend": "重发短信", "op.col.service": "事项", "op.col.office": "大厅", "op.col.when": "时间",
      "op.col.status": "状态", "op.col.actions": "操作", "op.slot": "日期和时段", "op.noSlots": "暂无可约时段",
      "op.ack": "已向来电人宣读办理须知，来电人同意", "op.bookTitle": "为来电人预约", "op.rescheduleTitle": "改期：{reference}",
      "op.doBook": "确认预约", "op.doReschedule": "确认改期", "op.booked": "已预约：{reference}，短信已发送。",
      "op.rescheduled": "{reference} 已改至 {when}，短信已发送。", "op.cancelled": "{reference} 已取消。",
      "op.confirmCancel": "确定为来电人取消预约 {reference} 吗？", "op.resent": "{reference} 的预约短信已重发。",
      "op.ackFirst": "请先向来电人宣读办理须知。", "op.pickSlot": "请选择时段。", "op.found": "已找到预约 {reference}。",
      "op.remaining": "余 {n}"
    },
    en: {
      "op.title": "Phone line console", "op.login": "Operator login",
      "op.keys": "Keys: F2 reference · F3 ID number · F6 new booking · Esc close",
      "op.byReference": "Find by reference", "op.reference": "Reference",
      "op.referenceHint": "The 8 characters the caller reads out; case, spaces and hyphens do not matter, O is 0, I and L are 1",
      "op.byIdentity": "Find by ID number and phone", "op.find": "Find",
      "op.caller": "Caller", "op.confirm": "Confirm the name and the phone's last four digits with the caller before acting.",
      "op.limits": "Cancellations this month: {c} · no-shows in six months: {n}", "op.suspended": "Booking suspended until {until}",
      "op.bookings": "The caller's bookings", "op.book": "New booking", "op.reschedule": "Reschedule", "op.cancel": "Cancel booking",
      "op.resend": "Re-send SMS", "op.col.service": "Service", "op.col.office": "Hall", "op.col.when": "When",
      "op.col.status": "Status", "op.col.actions": "Actions", "op.slot": "Day and time", "op.noSlots": "No times to book",
      "op.ack": "I read the notice to the caller, who accepts it", "op.bookTitle": "Book for the caller", "op.rescheduleTitle": "Reschedule {reference}",
      "op.doBook": "Book", "op.doReschedule": "Move it", "op.booked": "Booked: {reference}; the SMS is on its way.",
      "op.rescheduled": "{reference} moved to {when}; the SMS is on its way.", "op.cancelled": "{reference} cancelled.",
      "op.confirmCancel": "Cancel booking {reference} for the caller?", "op.resent": "The SMS of {reference} was sent again.",
      "op.ackFirst": "Read the notice to the caller first.", "op.pickSlot": "Choose a time.", "op.found": "Found booking {reference}.",
      "op.remaining": "{n} left"
    }
  };
  ["zh", "en"].forEach(function (lang) {
    var dict = window.HALLBOOK_I18N[lang];
    Object.keys(add[lang]).forEach(function (k) { dict[k] = add[lang][k]; });
  });
})();
