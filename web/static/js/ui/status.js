// Progress line, stage names people understand, errors as sentences.

const STAGES = {
  boot: "Starting the engine…",
  download: "Downloading the cutout model (once; it is kept for next time)…",
  decode: "Reading the image…",
  prepare: "Preparing the image…",
  model: "Finding the subject…",
  refine: "Refining edges…",
  compose: "Composing the full-resolution cutout…",
  done: "Finishing…",
  encode: "Saving the PNG…",
};

export class Status {
  constructor({ stage, progress, error, cancel }) {
    Object.assign(this, { stageEl: stage, progressEl: progress, errorEl: error, cancelEl: cancel });
  }

  busy(stage, fraction = null, extra = "") {
    this.stageEl.textContent = (STAGES[stage] || stage) + extra;
    if (fraction === null) this.progressEl.removeAttribute("value");
    else this.progressEl.value = Math.max(0, Math.min(1, fraction));
    this.cancelEl.disabled = false;
  }

  idle(text, fraction = 0) {
    this.stageEl.textContent = text;
    this.progressEl.value = fraction;
    this.cancelEl.disabled = true;
  }

  error(sentence) {
    this.errorEl.textContent = sentence;
    this.errorEl.hidden = false;
  }

  clearError() {
    this.errorEl.hidden = true;
    this.errorEl.textContent = "";
  }
}

const PIPELINE = new Set(["prepare", "model", "refine", "compose", "done"]);

/** Overall fraction of a job; pipeline stages report overall fractions already. */
export function overall(stage, fraction) {
  if (stage === "download") return 0.1 * fraction;
  if (stage === "decode") return 0.1;
  if (stage === "encode") return 0.97;
  if (PIPELINE.has(stage)) return 0.1 + 0.85 * fraction;
  return null;
}
