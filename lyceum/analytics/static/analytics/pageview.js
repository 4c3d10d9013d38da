// One page view, first-party and identity-free (P08). This script is only on pages of
// people whose analytics consent is in force; the server checks again. It sends the path
// (no query string), the referring site's host name (no more of its address), a screen
// class and the page's language. No cookie, no storage, no identifier.
(() => {
  const script = document.currentScript;
  const endpoint = script && script.dataset.endpoint;
  if (!endpoint || navigator.globalPrivacyControl === true || navigator.doNotTrack === "1") {
    return;
  }
  let referrer = "";
  try {
    const host = new URL(document.referrer).hostname;
    if (host !== location.hostname) referrer = host;
  } catch {
    // No referrer, or not a URL: nothing to say.
  }
  const width = window.screen.width;
  const device = width < 768 ? "mobile" : width < 1024 ? "tablet" : "desktop";
  const body = JSON.stringify({
    path: location.pathname,
    referrer,
    device,
    language: document.documentElement.lang,
  });
  const send = () =>
    fetch(endpoint, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      keepalive: true,
    }).catch(() => {
      // Analytics never disturb the page.
    });
  if (document.visibilityState === "prerender") {
    document.addEventListener("visibilitychange", send, { once: true });
  } else {
    send();
  }
})();
