// The GraphiQL explorer's start-up: GraphiQL 3 with gapwatch's example tabs (examples.js), and what a
// newcomer needs around it: one API key for every tab (kept for the browser session, shared with the
// status page), a readable answer when gapwatch refuses a request or closes a subscription, subscriptions
// shown as a growing list of what arrived, and a picker that puts a run's id into the RunEvents tab.
'use strict';
(function () {
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  var KEY_HINT = 'enter your API key in the box at the top of the explorer (it is used for every tab)';
  /** Results of one subscription kept on screen; the oldest go first past this. */
  var KEPT = 1000;

  // ------------------------------------------------------------------------------------------ the key

  /**
   * The session's key goes with every request, HTTP headers and graphql-ws connectionParams alike (browsers
   * cannot set WebSocket headers), unless the tab's own Headers name one. One socket per set of headers.
   */
  function withKey(headers) {
    var out = Object.assign({}, headers || {});
    var key = gapwatchKey.current();
    var named = Object.keys(out).some(function (h) {
      return /^(authorization|x-api-key)$/i.test(h);
    });
    if (key && !named) out.Authorization = 'Bearer ' + key;
    return out;
  }

  var keyInput = document.getElementById('gw-key');
  var keyState = document.getElementById('gw-key-state');
  function showKey() {
    keyState.textContent = gapwatchKey.current() ? 'a key is set for this browser session' : 'no key set';
  }
  document.getElementById('gw-key-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var key = keyInput.value.trim();
    if (key) gapwatchKey.set(key);
    keyInput.value = '';
    showKey();
    loadRuns();
  });
  document.getElementById('gw-key-forget').addEventListener('click', function () {
    gapwatchKey.forget();
    showKey();
  });

  // ------------------------------------------------------------------------------------------ readable answers

  function isStream(value) {
    return value && typeof value[Symbol.asyncIterator] === 'function';
  }

  /** Whether the operation run is a subscription (GraphiQL streams queries too, for incremental delivery). */
  function isSubscription(params, opts) {
    var doc = opts && opts.documentAST;
    if (doc && Array.isArray(doc.definitions)) {
      var ops = doc.definitions.filter(function (d) {
        return d.kind === 'OperationDefinition';
      });
      var op = params.operationName
        ? ops.find(function (d) {
            return d.name && d.name.value === params.operationName;
          })
        : ops[0];
      return !!op && op.operation === 'subscription';
    }
    return /^\s*subscription\b/m.test(String(params.query || '').replace(/#[^\n]*/g, ''));
  }

  /** A streamed query's results (incremental delivery), each explained, a failure as an answer. */
  async function* explained(source) {
    try {
      for await (var result of source) yield explain(result);
    } catch (err) {
      yield failure(err);
    }
  }

  /** A refusal for want of a key says where the key goes. */
  function explain(body) {
    if (!body || !Array.isArray(body.errors)) return body;
    return Object.assign({}, body, {
      errors: body.errors.map(function (e) {
        var code = e && e.extensions && e.extensions.code;
        return code === 'UNAUTHENTICATED' ? Object.assign({}, e, { message: e.message + ' — ' + KEY_HINT }) : e;
      }),
    });
  }

  /** A failure as a GraphQL-shaped answer with words in it, never a stack. */
  function failure(err) {
    if (Array.isArray(err)) return explain({ errors: err });
    // GraphiQL reports a closed WebSocket as an Error saying "Socket closed with event <code> <reason>".
    var closed = err && /^Socket closed with event (\d+) ?([\s\S]*)$/.exec(String(err.message || ''));
    if (closed) err = { code: Number(closed[1]), reason: closed[2] };
    if (err && typeof err.code === 'number') {
      // A closed WebSocket: gapwatch's close reason is "<CODE>: <message>".
      var reason = String(err.reason || '');
      var code = /^([A-Z_]+): /.exec(reason);
      var message =
        err.code === 4401 || err.code === 4403
          ? 'gapwatch closed the subscription\u2019s WebSocket: ' + (reason || 'no valid API key') + ' — ' + KEY_HINT
          : 'the WebSocket to ' + wsUrl + ' closed (' + err.code + (reason ? ': ' + reason : '') + ')';
      return { errors: [{ message: message, extensions: { code: code ? code[1] : 'WEBSOCKET_CLOSED', closeCode: err.code } }] };
    }
    var text = err && err.message ? err.message : String(err);
    return { errors: [{ message: 'the explorer could not reach gapwatch: ' + text }] };
  }

  /**
   * A subscription as the list of what has arrived so far (GraphiQL shows only the latest result): each
   * result's data under its field, oldest first, with any errors kept beside.
   */
  async function* growing(source) {
    var items = [];
    var field = null;
    var errors = [];
    var view = function () {
      var out = {};
      if (field) {
        out.data = {};
        out.data[field] = items.slice();
      }
      if (errors.length) out.errors = errors.slice();
      out.extensions = { explorer: items.length + ' result' + (items.length === 1 ? '' : 's') + ' so far, oldest first (each arrived on its own)' };
      return out;
    };
    try {
      for await (var result of source) {
        var body = explain(result);
        if (body && body.data) {
          field = field || Object.keys(body.data)[0];
          items.push(body.data[field]);
          if (items.length > KEPT) items.shift();
        }
        if (body && body.errors) errors.push.apply(errors, body.errors);
        yield view();
      }
    } catch (err) {
      var f = failure(err);
      errors.push.apply(errors, f.errors);
      yield view();
    }
  }

  var sockets = {};
  function fetcher(params, opts) {
    var headers = withKey(opts && opts.headers);
    var key = JSON.stringify(headers);
    if (!sockets[key]) sockets[key] = graphqlWs.createClient({ url: wsUrl, lazy: true, connectionParams: headers, retryAttempts: 0 });
    var result;
    try {
      result = GraphiQL.createFetcher({ url: location.origin + '/graphql', headers: headers, wsClient: sockets[key] })(params, Object.assign({}, opts, { headers: headers }));
    } catch (err) {
      return Promise.resolve(failure(err));
    }
    var stream = isSubscription(params, opts) ? growing : explained;
    if (isStream(result)) return stream(result);
    return Promise.resolve(result).then(
      function (value) {
        return isStream(value) ? stream(value) : explain(value);
      },
      function (err) {
        return failure(err);
      },
    );
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: gapwatchExamples,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    }),
  );

  // ------------------------------------------------------------------------------------------ the run picker

  var picker = document.getElementById('gw-run');

  /** Recent runs, newest first, asked for with the session's key. */
  function loadRuns() {
    fetch(location.origin + '/graphql', {
      method: 'POST',
      headers: withKey({ 'content-type': 'application/json' }),
      body: JSON.stringify({ query: 'query ExplorerRuns { runs(first: 20) { edges { node { id name status dataset startedAt } } } }' }),
    })
      .then(function (r) {
        return r.json();
      })
      .then(function (body) {
        var runs = body && body.data ? body.data.runs.edges.map(function (e) { return e.node; }) : [];
        var chosen = picker.value;
        picker.replaceChildren(new Option(runs.length ? 'pick a run…' : body && body.errors ? 'runs: ' + body.errors[0].message.slice(0, 60) : 'no runs yet', ''));
        runs.forEach(function (run) {
          picker.append(new Option(run.name + ' · ' + run.status, run.id));
        });
        if (chosen) picker.value = chosen;
      })
      .catch(function () {});
  }

  /** The run events tab, its query in the editor, its variables naming the run picked. */
  function watch(runId) {
    var tab = Array.prototype.find.call(document.querySelectorAll('.graphiql-tab'), function (t) {
      return /RunEvents/.test(t.textContent);
    });
    if (tab && !tab.classList.contains('graphiql-tab-active')) (tab.querySelector('button') || tab).click();
    var tries = 0;
    (function setVariables() {
      var query = document.querySelector('.graphiql-query-editor .CodeMirror');
      var variables = document.querySelector('.graphiql-editor-tool .CodeMirror');
      if (query && variables && query.CodeMirror && variables.CodeMirror && /runEvents\(/.test(query.CodeMirror.getValue())) {
        variables.CodeMirror.setValue(JSON.stringify({ runId: runId }, null, 2));
        return;
      }
      if (++tries < 100) setTimeout(setVariables, 30);
    })();
  }

  picker.addEventListener('focus', loadRuns);
  picker.addEventListener('change', function () {
    if (picker.value) watch(picker.value);
  });
  showKey();
  gapwatchKey.get().then(function () {
    showKey();
    loadRuns();
  });

  // GraphiQL wraps only its result pane; a long argument line in the others would be clipped at the edge.
  // Its editors are CodeMirror 5 instances, created as the page renders, so each is switched on as it appears.
  var root = document.getElementById('graphiql');
  var wrapAll = function () {
    root.querySelectorAll('.CodeMirror:not(.CodeMirror-wrap)').forEach(function (el) {
      if (el.CodeMirror) el.CodeMirror.setOption('lineWrapping', true);
    });
  };
  new MutationObserver(wrapAll).observe(root, { childList: true, subtree: true });
})();
