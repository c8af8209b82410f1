import Mustache

/// The dashboard's pages, server-rendered. Kept in the binary (the coordinator ships alone).
/// `{{x}}` escapes HTML, and everything a node or task author controls goes through it; the
/// one unescaped value, `{{{svg}}}`, is a chart the coordinator draws from numbers only.
enum DashboardTemplates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in [
            ("layout", layout), ("fleet", fleet), ("node", node), ("rollouts", rollouts), ("rollout", rollout),
            ("schedules", schedules), ("audit", audit), ("message", message),
        ] {
            try library.register(text, named: name)
        }
        return library
    }

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{{title}} · Shoal</title><link rel="stylesheet" href="/dashboard/static/app.css">
        <script src="/dashboard/static/app.js" defer></script></head>
        <body><header><a class="brand" href="/dashboard">Shoal</a>
        <nav><a href="/dashboard">Fleet</a><a href="/dashboard/rollouts">Rollouts</a><a href="/dashboard/schedules">Schedules</a><a href="/dashboard/audit">Audit</a></nav>
        <span class="who">{{who}}</span></header>
        <main>{{$body}}{{/body}}</main></body></html>
        """

    static let message = """
        {{<layout}}{{$body}}<h1>{{title}}</h1><p class="message">{{text}}</p>{{/body}}{{/layout}}
        """

    static let fleet = """
        {{<layout}}{{$body}}
        <h1>Fleet {{fleetName}}</h1>
        <section class="cards" data-live="/dashboard/events">
          <div class="card"><span class="figure" id="count-total">{{total}}</span> nodes</div>
          <div class="card ok"><span class="figure" id="count-ready">{{ready}}</span> ready</div>
          <div class="card bad"><span class="figure" id="count-down">{{down}}</span> down</div>
          <div class="card"><span class="figure" id="count-revoked">{{revoked}}</span> revoked</div>
          <div class="card"><span class="figure">{{gpuTotal}}</span> GPUs</div>
        </section>
        <h2>GPU inventory</h2>
        {{^gpuModels}}<p class="quiet">No GPUs reported.</p>{{/gpuModels}}
        {{#hasGPUModels}}<table><thead><tr><th>Model</th><th>GPUs</th><th>Nodes</th></tr></thead><tbody>{{/hasGPUModels}}
        {{#gpuModels}}<tr><td>{{model}}</td><td>{{gpus}}</td><td>{{nodes}}</td></tr>{{/gpuModels}}
        {{#hasGPUModels}}</tbody></table>{{/hasGPUModels}}
        <h2>Needs attention</h2>
        {{^attention}}<p class="quiet" id="attention-none">Nothing: every node is ready and healthy.</p>{{/attention}}
        {{#hasAttention}}<ul class="attention">{{/hasAttention}}
        {{#attention}}<li><a href="/dashboard/nodes/{{id}}">{{hostname}}</a> — {{reason}}</li>{{/attention}}
        {{#hasAttention}}</ul>{{/hasAttention}}
        <h2>Nodes</h2>
        <table class="nodes"><thead><tr><th>Host</th><th>Status</th><th>Labels</th><th>Heartbeat</th><th>CPU</th><th>Memory</th><th>GPUs</th><th>OS</th></tr></thead><tbody>
        {{#nodes}}<tr id="node-{{id}}"><td><a href="/dashboard/nodes/{{id}}">{{hostname}}</a><br><small>{{id}}</small></td><td class="status {{status}}">{{status}}</td><td>{{labels}}</td><td>{{heartbeat}}</td><td>{{cpu}}</td><td>{{memory}}</td><td>{{gpus}}</td><td>{{os}}</td></tr>{{/nodes}}
        </tbody></table>
        {{/body}}{{/layout}}
        """

    static let node = """
        {{<layout}}{{$body}}
        <h1>{{hostname}} <small>{{id}}</small> <span class="status {{status}}">{{status}}</span></h1>
        <dl class="facts">{{#facts}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/facts}}</dl>
        <p class="quiet">Facts are the node's own word; labels come from its join token and operators.</p>
        <h2>Health checks</h2>
        {{^checks}}<p class="quiet">No recurring health checks configured.</p>{{/checks}}
        <ul class="checks">{{#checks}}<li class="{{state}}">{{name}} ({{kind}}): {{state}} {{message}} <small>{{checkedAt}}</small></li>{{/checks}}</ul>
        <h2>GPUs</h2>
        {{^gpus}}<p class="quiet">No NVIDIA GPU reported.</p>{{/gpus}}
        {{#hasGPUs}}<table><thead><tr><th>#</th><th>Model</th><th>Util</th><th>Memory</th><th>Temp</th><th>Power</th><th>ECC (uncorr.)</th></tr></thead><tbody>{{/hasGPUs}}
        {{#gpus}}<tr><td>{{index}}</td><td>{{model}}</td><td>{{utilization}}</td><td>{{memory}}</td><td>{{temperature}}</td><td>{{power}}</td><td>{{ecc}}</td></tr>{{/gpus}}
        {{#hasGPUs}}</tbody></table>{{/hasGPUs}}
        <h2>Last {{historyWindow}}</h2>
        {{^charts}}<p class="quiet">No metric history yet.</p>{{/charts}}
        <div class="charts">{{#charts}}<figure><figcaption>{{label}} <strong>{{latest}}</strong></figcaption>{{{svg}}}</figure>{{/charts}}</div>
        {{/body}}{{/layout}}
        """

    static let rollouts = """
        {{<layout}}{{$body}}
        <h1>Rollouts</h1>
        {{^tasks}}<p class="quiet">No tasks yet.</p>{{/tasks}}
        <table><thead><tr><th>Task</th><th>Status</th><th>Progress</th><th>By</th><th>Created</th></tr></thead><tbody>
        {{#tasks}}<tr><td><a href="/dashboard/rollouts/{{id}}">{{name}}</a><br><small>{{id}}</small></td><td class="status {{status}}">{{status}}</td><td>{{progress}}</td><td>{{createdBy}}</td><td>{{createdAt}}</td></tr>{{/tasks}}
        </tbody></table>
        {{/body}}{{/layout}}
        """

    static let rollout = """
        {{<layout}}{{$body}}
        <h1>{{name}} <span class="status {{status}}" id="rollout-status">{{status}}</span></h1>
        <p>{{id}} · by {{createdBy}} · {{createdAt}} · selector <code>{{selector}}</code> · {{policy}}</p>
        {{#hasStatusReason}}<p class="message">{{statusReason}}</p>{{/hasStatusReason}}
        <section class="cards" data-live="/dashboard/rollouts/{{id}}/events">
        {{#counts}}<div class="card"><span class="figure" id="count-{{state}}">{{count}}</span> {{state}}</div>{{/counts}}
        </section>
        {{#mayCancel}}<form method="post" action="/dashboard/rollouts/{{id}}/cancel" id="cancel"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Cancel rollout</button></form>{{/mayCancel}}
        <table class="nodes"><thead><tr><th>Node</th><th>Status</th><th>Exit</th><th>Message</th><th>Output</th></tr></thead><tbody>
        {{#nodes}}<tr><td><a href="/dashboard/nodes/{{nodeID}}">{{hostname}}</a></td><td class="status" id="node-{{nodeID}}-status">{{status}}</td><td id="node-{{nodeID}}-exit">{{exitCode}}</td><td id="node-{{nodeID}}-message">{{message}}</td><td><a href="/dashboard/rollouts/{{taskID}}/output/{{nodeID}}">output</a></td></tr>{{/nodes}}
        </tbody></table>
        {{/body}}{{/layout}}
        """

    static let schedules = """
        {{<layout}}{{$body}}
        <h1>Schedules</h1>
        {{^schedules}}<p class="quiet">No schedules.</p>{{/schedules}}
        <table><thead><tr><th>Name</th><th>When</th><th>Selector</th><th>State</th><th>Last run</th></tr></thead><tbody>
        {{#schedules}}<tr><td>{{name}}</td><td><code>{{cron}}</code></td><td><code>{{selector}}</code></td><td>{{state}}</td><td>{{lastRun}}</td></tr>{{/schedules}}
        </tbody></table>
        {{/body}}{{/layout}}
        """

    static let audit = """
        {{<layout}}{{$body}}
        <h1>Audit</h1>
        <p class="quiet">The newest {{count}} entries of the hash-chained log; 'coordinator audit verify' checks the chain.</p>
        <table><thead><tr><th>#</th><th>At</th><th>Who</th><th>Action</th><th>Target</th><th>Result</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{seq}}</td><td>{{at}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{target}}</td><td>{{result}}</td></tr>{{/entries}}
        </tbody></table>
        {{/body}}{{/layout}}
        """
}
