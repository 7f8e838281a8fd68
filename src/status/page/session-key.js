// The API key of this browser session, shared by gapwatch's pages (the status page and the explorer).
//
// Kept in sessionStorage, so it survives reloads and goes when the browser does, and never on disk for
// longer. sessionStorage belongs to one tab, so a tab opened later asks the open ones (a same-origin
// BroadcastChannel) and takes theirs: the key is entered once per browser session, not once per tab.
'use strict';
(function () {
  var ENTRY = 'gapwatch.apiKey';
  var channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('gapwatch.apiKey') : null;

  function read() {
    try {
      return sessionStorage.getItem(ENTRY) || null;
    } catch (e) {
      return null;
    }
  }

  function write(key) {
    try {
      if (key) sessionStorage.setItem(ENTRY, key);
      else sessionStorage.removeItem(ENTRY);
    } catch (e) {
      // storage refused (a private mode): the key lives as long as the page
    }
  }

  var memory = read();
  var waiting = [];
  if (channel) {
    channel.onmessage = function (e) {
      var m = e.data || {};
      if (m.type === 'ask' && memory) channel.postMessage({ type: 'key', key: memory });
      if (m.type === 'key' && typeof m.key === 'string' && m.key) {
        memory = m.key;
        write(m.key);
        waiting.splice(0).forEach(function (resolve) {
          resolve(m.key);
        });
      }
      if (m.type === 'forget') {
        memory = null;
        write(null);
      }
    };
  }

  globalThis.gapwatchKey = {
    /** This tab's key, else one an open tab of the session has (asked for briefly), else null. */
    get: function () {
      if (memory || !channel) return Promise.resolve(memory);
      return new Promise(function (resolve) {
        waiting.push(resolve);
        channel.postMessage({ type: 'ask' });
        setTimeout(function () {
          var i = waiting.indexOf(resolve);
          if (i >= 0) {
            waiting.splice(i, 1);
            resolve(memory);
          }
        }, 200);
      });
    },
    /** The key as known now, without asking other tabs. */
    current: function () {
      return memory;
    },
    set: function (key) {
      memory = key;
      write(key);
      if (channel) channel.postMessage({ type: 'key', key: key });
    },
    forget: function () {
      memory = null;
      write(null);
      if (channel) channel.postMessage({ type: 'forget' });
    },
  };
})();
