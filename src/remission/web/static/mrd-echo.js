// The MRD value in both units while it is typed (the server shows the same echo to confirm).
(function () {
  "use strict";
  var value = document.getElementById("f-value-fraction");
  var unit = document.getElementById("f-value-unit");
  var out = document.getElementById("mrd-echo");
  if (!value || !unit || !out) { return; }
  var SUP = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
  function sup(n) { return String(n).split("").map(function (c) { return SUP[c] || c; }).join(""); }
  // Never rounded (as on the server): 9.9999e-5 must not read as the cutoff 10⁻⁴.
  function plain(x) { return String(Number(x.toPrecision(15))); }
  function scientific(x) {
    if (x <= 0) { return "0"; }
    if (x >= 1) { return plain(x); }
    var parts = x.toExponential().split("e");
    var power = "10" + sup(Number(parts[1]));
    return parts[0] === "1" ? power : parts[0] + " × " + power;
  }
  function update() {
    var text = value.value.trim();
    var x = Number(text);
    if (!text || !isFinite(x)) { out.textContent = ""; return; }
    var percent = unit.value === "percent";
    if (x < 0 || (percent && x > 100) || (!percent && x > 1)) {
      out.textContent = percent ? "A percentage is between 0 and 100 %." : "A fraction is between 0 and 1.";
      return;
    }
    var fraction = percent ? x / 100 : x;
    out.textContent = percent
      ? "You entered " + text + " % = " + scientific(fraction) + " (fraction)"
      : "You entered " + text + " (fraction) = " + scientific(fraction) + " = " + plain(fraction * 100) + " %";
  }
  value.addEventListener("input", update);
  unit.addEventListener("change", update);
})();
