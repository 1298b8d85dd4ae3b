// Descent: mark inline equations wider than their line, so that descent.css lets them scroll.
(function () {
  function mark() {
    document.querySelectorAll("main mjx-container:not([display='true'])").forEach(function (math) {
      math.classList.remove("descent-wide-math");
      // The line it sits on: the nearest ancestor that is a block (a span's width is 0).
      var block = math.parentElement;
      while (block && getComputedStyle(block).display.indexOf("inline") === 0) {
        block = block.parentElement;
      }
      if (!block) return;
      var style = getComputedStyle(block);
      var line = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      if (math.getBoundingClientRect().width > line + 1) {
        math.classList.add("descent-wide-math");
      }
    });
  }
  function whenTypeset(tries) {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(mark);
    } else if (tries < 100) {  // A page without equations loads no MathJax: stop after 10 s.
      setTimeout(function () { whenTypeset(tries + 1); }, 100);
    }
  }
  document.addEventListener("DOMContentLoaded", function () { whenTypeset(0); });
  window.addEventListener("resize", mark);
})();
