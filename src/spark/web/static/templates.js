// SPARK chat: "Start from a template". Lists the built-in and team templates (GET
// /api/templates), builds a labelled field per parameter (number with its range, yes/no,
// a list of the allowed values, or text), and sends the values to the server, which checks
// them (type, range, allowed values) and returns the structured prompt for the prompt box.
// Errors come back per parameter and are shown next to its field.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const picker = $("template-picker");
  const select = $("template-select");
  const fields = $("template-fields");
  const params = $("template-params");
  const useBtn = $("template-use");
  const errorEl = $("template-error");
  const description = $("template-description");
  const promptBox = $("prompt");
  if (!picker || !select || !promptBox) return;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.content : "";
  let templates = [];
  let loaded = false;

  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  };

  const showError = (message) => {
    errorEl.textContent = message;
    errorEl.hidden = !message;
  };

  async function load() {
    if (loaded) return;
    loaded = true;
    try {
      const response = await fetch("/api/templates", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      templates = (await response.json()).templates;
    } catch (err) {
      loaded = false;
      showError(`Templates could not be loaded (${err.message}).`);
      return;
    }
    for (const source of ["built-in", "team"]) {
      const group = el("optgroup", { label: source === "team" ? "Your team's" : "Built-in" });
      for (const t of templates.filter((x) => x.source === source)) {
        group.appendChild(el("option", { value: t.name }, t.title));
      }
      if (group.children.length) select.appendChild(group);
    }
  }

  function field(p) {
    const id = `template-param-${p.name}`;
    const wrap = el("div", { class: "template-field" });
    const label = el("label", { for: id }, p.label || p.name);
    let input;
    if (p.kind === "bool") {
      input = el("input", { type: "checkbox", id, name: p.name });
      input.checked = Boolean(p.default);
    } else if (p.kind === "choice") {
      input = el("select", { id, name: p.name });
      for (const value of p.allowed) {
        const option = el("option", { value }, value);
        if (value === p.default) option.selected = true;
        input.appendChild(option);
      }
    } else if (p.kind === "int" || p.kind === "float") {
      input = el("input", { type: "number", id, name: p.name, inputmode: "decimal" });
      input.step = p.kind === "int" ? "1" : "any";
      if (p.min !== undefined) input.min = String(p.min);
      if (p.max !== undefined) input.max = String(p.max);
      input.value = String(p.default);
    } else {
      input = el("input", { type: "text", id, name: p.name, maxlength: String(p.max_length) });
      input.value = String(p.default);
    }
    const hintId = `${id}-hint`;
    const range = [];
    if (p.min !== undefined) range.push(`from ${p.min}`);
    if (p.max !== undefined) range.push(`to ${p.max}`);
    const hint = el("p", { class: "hint", id: hintId }, [p.help, range.join(" ")].filter(Boolean).join(" — "));
    const problem = el("p", { class: "form-error", id: `${id}-error`, hidden: "" });
    input.setAttribute("aria-describedby", `${hintId} ${id}-error`);
    if (p.kind === "bool") {
      label.prepend(input, " ");
      wrap.append(label, hint, problem);
    } else {
      wrap.append(label, input, hint, problem);
    }
    return wrap;
  }

  function chosen() {
    return templates.find((t) => t.name === select.value);
  }

  select.addEventListener("change", () => {
    showError("");
    fields.replaceChildren();
    const t = chosen();
    params.hidden = !t || !t.parameters.length;
    useBtn.disabled = !t;
    description.textContent = t ? t.description : "";
    if (t) for (const p of t.parameters) fields.appendChild(field(p));
  });

  function values(t) {
    const out = {};
    for (const p of t.parameters) {
      const input = $(`template-param-${p.name}`);
      out[p.name] = p.kind === "bool" ? input.checked : input.value;
    }
    return out;
  }

  function markProblems(errors) {
    let first = null;
    for (const problem of errors) {
      const name = (problem.loc || [])[2];
      const box = name && $(`template-param-${name}-error`);
      if (!box) continue;
      box.textContent = problem.msg;
      box.hidden = false;
      const input = $(`template-param-${name}`);
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
    if (first) first.focus();
  }

  useBtn.addEventListener("click", async () => {
    const t = chosen();
    if (!t) return;
    showError("");
    for (const box of fields.querySelectorAll(".form-error")) box.hidden = true;
    for (const input of fields.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    useBtn.disabled = true;
    try {
      const response = await fetch(`/api/templates/${encodeURIComponent(t.name)}/fill`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
        body: JSON.stringify({ values: values(t) }),
      });
      const data = await response.json();
      if (!response.ok) {
        const error = data.error || {};
        showError(error.message || `The server answered ${response.status}.`);
        markProblems(error.errors || []);
        return;
      }
      promptBox.value = data.prompt;
      promptBox.dispatchEvent(new Event("input", { bubbles: true }));
      picker.open = false;
      promptBox.focus();
    } catch (err) {
      showError(`The template could not be filled (${err.message}).`);
    } finally {
      useBtn.disabled = !chosen();
    }
  });

  picker.addEventListener("toggle", () => {
    if (picker.open) load();
  });
})();
