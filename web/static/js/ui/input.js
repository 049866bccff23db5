// The three ways an image comes in: drop, paste, choose.

export function acceptImages({ drop, fileInput }, onFile) {
  fileInput.addEventListener("change", () => {
    if (fileInput.files && fileInput.files[0]) onFile(fileInput.files[0]);
    fileInput.value = ""; // choosing the same file again still fires
  });
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) onFile(file);
  });
  // a drop anywhere else must not navigate away from the app
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  window.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.kind === "file");
    if (item) { e.preventDefault(); onFile(item.getAsFile()); }
  });
}
