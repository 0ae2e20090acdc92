// Saving bytes the page made as a file: a blob: URL on a temporary <a
// download>, clicked, then revoked. Works under the app's CSP (a download
// is not a fetch nor an embed: no directive applies to it).

/** Revoke the object URL this long after the click: the download has taken it by then. */
const REVOKE_AFTER_MS = 60_000;

/** Saves `data` as a file called `name`. */
export function saveFile(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/** Saves text as a file of the given MIME type. */
export function saveText(name: string, text: string, type: string): void {
  saveFile(name, new Blob([text], { type }));
}
