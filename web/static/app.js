// surveyor's web page: the one script, served by the server itself. Pages work without it; it only shows every
// <time datetime="..."> in the reader's locale and time zone (the ISO time stays in the tooltip).
(function () {
  'use strict';
  var format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  var times = document.querySelectorAll('time[datetime]');
  for (var i = 0; i < times.length; i++) {
    var t = times[i];
    var d = new Date(t.getAttribute('datetime'));
    if (isNaN(d.getTime())) continue;
    t.title = t.getAttribute('datetime');
    t.textContent = format.format(d);
  }
})();
