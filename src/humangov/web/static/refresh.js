// Monitoring pages reload themselves every <meta name="humangov-refresh" content="30"> seconds
// unless the reader pauses it (remembered in this browser). A page that changes under the
// reader must let them stop it (WCAG 2.2.1), which a <meta http-equiv="refresh"> cannot.
// Without JavaScript the page is the same, only still: nothing else needs this script.
(() => {
  const meta = document.querySelector('meta[name="humangov-refresh"]');
  if (!meta) return;
  const seconds = Number(meta.content) || 30;
  const key = "humangov-refresh-paused";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "refresh-toggle";
  let timer = null;
  const render = () => {
    const paused = localStorage.getItem(key) === "1";
    button.textContent = `${paused ? "Resume" : "Pause"} refreshing every ${seconds} s`;
    button.setAttribute("aria-pressed", String(paused));
    clearTimeout(timer);
    if (!paused) timer = setTimeout(() => location.reload(), seconds * 1000);
  };
  button.addEventListener("click", () => {
    localStorage.setItem(key, localStorage.getItem(key) === "1" ? "0" : "1");
    render();
  });
  (document.querySelector("main h1") || document.body.firstElementChild).after(button);
  render();
})();
