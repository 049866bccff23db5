// Downloads and what they cost (issue 4, "What credits buy"):
// - preview: the cutout scaled so its longest side is at most 1000 px; free, no account;
// - full resolution ("HD") PNG, WebP or mask: free when the image is already at most
//   1000 px on its longest side, otherwise 1 credit per result. The app asks the server to
//   spend first, sending only the SHA-256 of the PNG it made (never the image), with an
//   idempotency key kept with the result so a retry never charges twice, and keeps the
//   signed grant with the result so downloading that result again costs nothing.

import { alphaOf, encodeImage, toImageData } from "../engine/image-io.js";
import { ApiError, ERROR_TEXT, spendForHdExport } from "../../account/api.js";

export const PREVIEW_MAX = 1000;
export const CONFIRM_TEXT = "Spend 1 credit for the full-resolution export?";

export function baseName(file) {
  const name = (file && file.name) || "image";
  return name.replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "_").slice(0, 80) || "image";
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** True when the full-resolution export of this result costs nothing. */
export function hdIsFree(result) {
  return Math.max(result.width, result.height) <= PREVIEW_MAX;
}

/** The size a preview has: longest side at most PREVIEW_MAX, aspect kept. */
export function previewSize(width, height) {
  const scale = Math.min(1, PREVIEW_MAX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function previewBlob(result) {
  const size = previewSize(result.width, result.height);
  if (size.width === result.width && size.height === result.height) return result.png;
  const pixels = new Uint8Array(await result.pixels);
  const bitmap = await createImageBitmap(toImageData(pixels, result.width, result.height, result.channels), {
    resizeWidth: size.width, resizeHeight: size.height, resizeQuality: "high", premultiplyAlpha: "none",
  });
  const canvas = new OffscreenCanvas(size.width, size.height);
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas.convertToBlob({ type: "image/png" });
}

async function fullBlob(kind, result) {
  const { width, height, channels } = result;
  if (kind === "png") return result.png;
  const pixels = new Uint8Array(await result.pixels);
  if (kind === "webp") return encodeImage(pixels, width, height, channels, "image/webp", 0.95);
  const alpha = channels === 1 ? pixels : alphaOf(pixels);
  return encodeImage(alpha, width, height, 1, "image/png");
}

const SUFFIX = { png: "-cutout.png", webp: "-cutout.webp", mask: "-mask.png" };

/** A plain sentence and a link to the account page for a failed spend. */
export function spendProblem(err) {
  if (!(err instanceof ApiError)) {
    return { code: "offline", text: "You seem to be offline: a full-resolution export needs the server to spend a credit. The free preview works offline.", link: "Your account" };
  }
  if (err.status === 401 || err.code === "not_authenticated" || err.code === "not_signed_in") {
    return { code: "not_signed_in", text: "Sign in to spend a credit on the full-resolution export, or download the free preview.", link: "Sign in or create an account" };
  }
  if (err.code === "insufficient_credits") return { code: err.code, text: ERROR_TEXT.insufficient_credits, link: "Buy credits" };
  if (err.code === "agreement_outdated") return { code: err.code, text: ERROR_TEXT.agreement_outdated, link: "Review the new terms" };
  return { code: err.code, text: err.message, link: "Your account" };
}

/**
 * The result's right to a full-resolution export: a grant from the server (kept with the
 * result) or free because the image is small. Returns false when the person declined or
 * the spend failed (the reason is shown through `show`).
 */
async function entitle(result, { confirm, show }) {
  if (hdIsFree(result) || result.hdGrant) return true;
  if (!confirm(CONFIRM_TEXT)) return false;
  result.hdKey ||= crypto.randomUUID(); // one key per result: a retry returns the same grant
  try {
    const bytes = new Uint8Array(await (await result.png).arrayBuffer());
    result.hdGrant = await spendForHdExport(bytes, result.hdKey);
    show(null);
    return true;
  } catch (err) {
    show(spendProblem(err));
    return false;
  }
}

/**
 * kind: "preview" | "png" | "webp" | "mask"; result: the job:done message (its `png` a
 * Promise<Blob>, see engine/client.js); file: the input File.
 * ui: { confirm(text) -> bool, show(problem | null) }. Resolves to true when a file was saved.
 */
export async function download(kind, result, file, ui) {
  const base = baseName(file);
  if (kind === "preview") {
    save(await previewBlob(result), `${base}-cutout-preview.png`);
    return true;
  }
  if (!(await entitle(result, ui))) return false;
  save(await fullBlob(kind, result), `${base}${SUFFIX[kind]}`);
  return true;
}

/** The sentence next to the buttons for this result (or before any result). */
export function priceNote(result) {
  const rule = `Preview (up to ${PREVIEW_MAX} px) is free; full resolution costs 1 credit.`;
  if (!result) return rule;
  if (hdIsFree(result)) return `${rule} This image is at most ${PREVIEW_MAX} px, so full resolution is free too.`;
  if (result.hdGrant) return `${rule} Full resolution of this image is paid for: download it again at no cost.`;
  return rule;
}

/** Puts a problem sentence with a link to /account/ into `el` (or hides it). */
export function showProblem(el, problem) {
  el.replaceChildren();
  el.hidden = !problem;
  if (!problem) return;
  el.dataset.code = problem.code;
  const link = document.createElement("a");
  link.href = "/account/";
  link.textContent = problem.link;
  el.append(`${problem.text} `, link, ".");
}
