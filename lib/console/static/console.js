// The overview's live updates: new decisions go to the top of the list, and the figures, gauges
// and charts are redrawn as the server sends them (server-sent events; the browser reconnects by
// itself). Everything arrives as HTML the server has escaped.
const LIVE_ITEMS = 50;
const live = document.getElementById("live");
const source = new EventSource("/live");

source.addEventListener("decision", (event) => {
  const { html } = JSON.parse(event.data);
  if (!live) return;
  live.insertAdjacentHTML("afterbegin", html);
  while (live.children.length > LIVE_ITEMS) live.lastElementChild?.remove();
});

source.addEventListener("overview", (event) => {
  const { sections } = JSON.parse(event.data);
  for (const [id, html] of Object.entries(sections)) {
    const section = document.getElementById(id);
    if (section) section.innerHTML = html;
  }
});
