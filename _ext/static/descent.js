// Descent: mark inline equations wider than their line, so that descent.css lets them scroll.
(function () {
  function mark() {
    document.querySelectorAll("main mjx-container:not([display='true'])").forEach(function (math) {
      math.classList.remove("descent-wide-math");
      var parent = math.parentElement;
      if (parent && math.getBoundingClientRect().width > parent.clientWidth) {
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
