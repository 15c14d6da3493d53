// Draws the dashboard charts from the JSON the page embeds (no network access needed).
(function () {
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var palette = ["#206bc4", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#17a2b8", "#f59f00"];
  function series(byChannel) {
    return Object.keys(byChannel).map(function (channel, i) {
      return { label: channel, data: byChannel[channel], backgroundColor: palette[i % palette.length],
               borderColor: palette[i % palette.length] };
    });
  }
  function bar(id, labels, datasets, options) {
    var el = document.getElementById(id);
    if (!el || typeof Chart === "undefined") { return; }
    new Chart(el, { type: "bar", data: { labels: labels, datasets: datasets },
      options: Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, options || {}) });
  }
  var stacked = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } };
  bar("chart-messages", data.days, series(data.messages), stacked);
  bar("chart-conversations", data.days, series(data.conversations), stacked);
  function pairs(id, rows, label) {
    bar(id, rows.map(function (r) { return r[0]; }),
        [{ label: label, data: rows.map(function (r) { return r[1]; }), backgroundColor: palette[0] }],
        { indexAxis: "y", plugins: { legend: { display: false } } });
  }
  pairs("chart-intents", data.intents, "Số tin nhắn");
  pairs("chart-registrations", data.registrations, "Số đăng ký");
  pairs("chart-unanswered", data.unanswered, "Số câu hỏi");
})();
