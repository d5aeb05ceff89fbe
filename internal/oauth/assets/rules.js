// Marks the password rules a typed password meets, as the user types. The page works without
// it: the server checks the policy either way.
document.querySelectorAll("input[data-rules]").forEach(function (input) {
  var list = document.getElementById(input.getAttribute("data-rules"));
  if (!list) return;
  var tests = {
    lower: /[a-z]/, upper: /[A-Z]/, number: /[0-9]/,
    symbol: /[\^$*.\[\]{}()?"!@#%&\/\\,><':;|_~`=+\- ]/
  };
  function check() {
    var v = input.value;
    list.querySelectorAll("li[data-rule]").forEach(function (li) {
      var rule = li.getAttribute("data-rule");
      var met = rule.indexOf("min:") === 0 ? Array.from(v).length >= Number(rule.slice(4)) : !!(tests[rule] && tests[rule].test(v));
      li.classList.toggle("met", met);
    });
  }
  input.addEventListener("input", check);
  check();
});
