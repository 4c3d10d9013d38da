// Live notifications: a signed-in page listens on a websocket and announces what arrives.
const path = document.body.dataset.liveNotifications;
const region = document.getElementById("live-notifications");

function show(text) {
  const toast = document.createElement("p");
  toast.className = "toast";
  toast.textContent = text;
  region.append(toast);
  setTimeout(() => toast.remove(), 15000);
}

function connect(delay) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}${path}`);
  socket.addEventListener("message", (event) => show(JSON.parse(event.data).text));
  socket.addEventListener("open", () => { delay = 1000; });
  socket.addEventListener("close", (event) => {
    if (event.code !== 4401) setTimeout(() => connect(Math.min(delay * 2, 60000)), delay);
  });
}

if (path && region && "WebSocket" in window) connect(1000);

// Global Privacy Control seen by the page but not sent as a header (P07): tell the server,
// which records the refusal; reload so that nothing withheld from now on stays on the page.
if (navigator.globalPrivacyControl === true && document.body.dataset.privacySignal === "0") {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) {
    fetch(document.body.dataset.signalUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token.value },
      credentials: "same-origin",
    })
      .then((response) => response.json())
      .then((answer) => { if (answer.recorded > 0) location.reload(); })
      .catch(() => {});
  }
}
