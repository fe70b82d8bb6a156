// Runs in <head> before the first paint: applies the theme the reader chose with the toggle, if any;
// otherwise the stylesheet follows prefers-color-scheme.
(function () {
  try {
    var theme = localStorage.getItem("berth-theme");
    if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
  } catch (e) { /* storage disabled: follow the system */ }
})();
