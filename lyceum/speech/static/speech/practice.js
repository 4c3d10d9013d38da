// Pronunciation practice: record the chosen sentence with the microphone (MediaRecorder),
// send it with the form to the server, which scores it and answers with the result as an
// HTML fragment. Without this script, or without a microphone, the form's file upload does
// the same. The recording stays in memory here and is never played back or stored.

const form = document.getElementById("practice-form");
const panel = document.getElementById("practice-recorder");
const result = document.getElementById("practice-result");

const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];

function extensionFor(type) {
  if (type.includes("ogg")) return "ogg";
  if (type.includes("mp4")) return "m4a";
  return "webm";
}

function setUp() {
  const text = panel.dataset;
  const recordButton = document.getElementById("practice-record");
  const stopButton = document.getElementById("practice-stop");
  const status = document.getElementById("practice-status");
  const timer = document.getElementById("practice-timer");
  const reading = document.getElementById("practice-read");
  const ownText = form.elements.namedItem("own_text");
  const ownChoice = document.getElementById("sentence-own");
  const maxSeconds = Number(text.maxSeconds) || 30;
  let recorder = null;
  let ticking = null;
  let stopAt = null;

  const say = (message) => { status.textContent = message; };

  function chosenText() {
    const chosen = form.querySelector("input[name=sentence]:checked");
    if (!chosen) return "";
    if (chosen.value === "own") return ownText ? ownText.value.trim() : "";
    return chosen.dataset.text || "";
  }

  function showChosen() {
    reading.textContent = chosenText();
  }

  form.addEventListener("change", showChosen);
  if (ownText && ownChoice) {
    ownText.addEventListener("input", () => {
      ownChoice.checked = true;
      showChosen();
    });
  }
  showChosen();

  const canRecord = Boolean(
    window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia
      && window.MediaRecorder,
  );
  panel.hidden = false;
  document.getElementById("practice-needs-script")?.remove();
  if (!canRecord) {
    recordButton.disabled = true;
    say(text.msgCannotRecord);
    return;
  }

  function setRecording(on) {
    recordButton.disabled = on;
    stopButton.disabled = !on;
    panel.classList.toggle("practice-recording", on);
    if (!on) {
      clearInterval(ticking);
      clearTimeout(stopAt);
      timer.textContent = "";
    }
  }

  async function start() {
    if (!chosenText()) {
      say(text.msgChoose);
      return;
    }
    say(text.msgAsking);
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      say(error.name === "NotAllowedError" || error.name === "SecurityError"
        ? text.msgDenied : text.msgNoMicrophone);
      return;
    }
    const type = PREFERRED_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    const chunks = [];
    let limited = false;
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      setRecording(false);
      const blobType = recorder.mimeType || type || "audio/webm";
      send(new Blob(chunks, { type: blobType }), extensionFor(blobType), limited);
    });
    const started = Date.now();
    recorder.start();
    setRecording(true);
    stopButton.focus();
    say(text.msgRecording);
    timer.textContent = "0 s";
    ticking = setInterval(() => {
      timer.textContent = `${Math.floor((Date.now() - started) / 1000)} s`;
    }, 250);
    stopAt = setTimeout(() => {
      limited = true;
      stop();
    }, maxSeconds * 1000);
  }

  function stop() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  async function send(blob, extension, limited) {
    const data = new FormData(form);
    data.delete("audio");
    data.append("audio", blob, `recording.${extension}`);
    recordButton.disabled = true;
    say(limited ? `${text.msgLimit} ${text.msgScoring}` : text.msgScoring);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": form.elements.namedItem("csrfmiddlewaretoken").value,
          "X-Requested-With": "fetch",
        },
      });
      const isFragment = (response.headers.get("Content-Type") || "").startsWith("text/html");
      if (response.redirected) {
        say(text.msgSignedOut);
      } else if (isFragment && response.status < 500) {
        // Server-rendered, escaped HTML from this site: the result or a clear error.
        result.innerHTML = await response.text();
        say("");
        const heading = result.querySelector("h2") || result;
        heading.focus();
      } else {
        say(text.msgFailed);
      }
    } catch (error) {
      say(text.msgFailed);
    } finally {
      recordButton.disabled = false;
    }
  }

  recordButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
}

if (form && panel && result) setUp();
