// Typesets the $...$ and $$...$$ that pymdownx.arithmatex leaves in the pages, when MathJax is present.
// Offline, the formulas stay readable as LaTeX text.
window.MathJax = {
  tex: { inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]], processEscapes: true },
  options: { ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex" },
};
