// The number formats of every SPARK page (spark/web/formatting.py has the same rules; a browser
// test holds the two equal): tokens with thousands separators, money to the cent from $1 up and
// to two significant digits below, durations in seconds to one decimal. Token estimates use the
// one estimator of spark/estimate.py: fenced code at 3.5 characters a token, the rest at 4.
"use strict";

window.SparkFormat = (() => {
  const tokens = (n) => (n === null || n === undefined ? "—" : Math.round(Number(n)).toLocaleString("en-US"));

  // Half-up rounding on the decimal text, as Python's Decimal does (no binary surprises).
  function roundHalfUp(text, places) {
    const [whole, frac = ""] = text.split(".");
    const digits = (whole + (frac + "0".repeat(places + 1)).slice(0, places + 1)).replace(/^0+(?=\d)/, "");
    let kept = BigInt(digits.slice(0, -1) || "0");
    if (Number(digits.slice(-1)) >= 5) kept += 1n;
    const s = kept.toString().padStart(places + 1, "0");
    return places ? `${s.slice(0, -places)}.${s.slice(-places)}` : s;
  }

  function plain(value) {
    // A number or a decimal string as plain decimal text (no exponent).
    const text = String(value).trim();
    if (!/[eE]/.test(text)) return text.replace(/^\+/, "");
    return Number(text).toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
  }

  function usd(value) {
    if (value === null || value === undefined || value === "") return "unknown";
    let text = plain(value);
    if (!/^-?\d*\.?\d+$/.test(text)) return "unknown";
    const sign = text.startsWith("-") ? "-" : "";
    text = text.replace(/^-/, "");
    if (!text.includes(".")) text += ".0";
    if (text.startsWith(".")) text = "0" + text;
    if (/^0*\.0*$/.test(text)) return "$0.00";
    const withCommas = (fixed) => {
      const [w, f] = fixed.split(".");
      return `${BigInt(w).toLocaleString("en-US")}.${f}`;
    };
    if (Number(text) >= 1) return `${sign}$${withCommas(roundHalfUp(text, 2))}`;
    const placesFor = (t) => Math.max(2, t.split(".")[1].search(/[1-9]/) + 2);
    const places = placesFor(text);
    let rounded = roundHalfUp(text, places);
    if (Number(rounded) < 1 && placesFor(rounded) < places) rounded = roundHalfUp(rounded, placesFor(rounded));
    if (Number(rounded) >= 1) return `${sign}$${withCommas(roundHalfUp(rounded, 2))}`;
    return `${sign}$${rounded}`;
  }

  const seconds = (ms) => (ms === null || ms === undefined ? "—" : `${roundHalfUp(plain(Number(ms) / 1000), 1)} s`);

  const FENCE = /```[\s\S]*?(?:```|$)/g;
  function estimateTokens(text) {
    // Characters are code points, as Python counts them (an emoji is one, not two).
    const length = (s) => [...s].length;
    let code = 0;
    for (const block of text.match(FENCE) || []) code += length(block);
    const prose = length(text) - code;
    // prose / 4 + code / 3.5 = (7 * prose + 8 * code) / 28, rounded up, in integers.
    return Math.ceil((7 * prose + 8 * code) / 28);
  }

  return { tokens, usd, seconds, estimateTokens };
})();
