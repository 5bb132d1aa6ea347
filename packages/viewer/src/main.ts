import { describeStatus, fetchServerStatus } from "./health.js";

// The CLI talks to http://127.0.0.1:4000 unless told otherwise: say so when this page comes from elsewhere.
const CLI_DEFAULT_SERVER = "http://127.0.0.1:4000";

function showServerHint(): void {
  const hint = document.getElementById("server-hint");
  if (!hint || location.origin === CLI_DEFAULT_SERVER || !location.origin.startsWith("http")) return;
  hint.replaceChildren("For this server, first run ", code(`export OTO_SERVER=${location.origin}`));
  hint.hidden = false;
}

function code(text: string): HTMLElement {
  const element = document.createElement("code");
  element.textContent = text;
  return element;
}

async function showServerStatus(): Promise<void> {
  const stamp = document.getElementById("server-status");
  if (!stamp) return;
  const status = await fetchServerStatus();
  stamp.textContent = describeStatus(status);
  stamp.dataset.state = status.state;
}

showServerHint();
void showServerStatus();
