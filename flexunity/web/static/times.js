// Unix times on server-rendered pages become local date-times with the zone (the raw value stays in the title).
for (const el of document.querySelectorAll("time[data-unix]")) {
  const unix = Number(el.dataset.unix);
  if (!unix) continue;
  const local = new Date(unix * 1000).toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  el.title = `${unix} (unix time)`;
  el.textContent = local;
}
