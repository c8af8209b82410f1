/// The dashboard's stylesheet and script, hand-written and served from the binary: no build
/// step, no third-party code. The script only sets `textContent`, so nothing a node sends can
/// become markup.
enum DashboardAssets {
    static let css = """
        :root { --fg: #1d2330; --muted: #667085; --line: #d0d5dd; --ok: #067647; --bad: #b42318; --warn: #b54708; --bg: #f8f9fb; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #101828; color: #fff; }
        header a { color: #fff; text-decoration: none; margin-right: .9rem; }
        .brand { font-weight: 700; }
        .who { margin-left: auto; color: #d0d5dd; font-size: .9em; }
        main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
        h1 small, td small { color: var(--muted); font-weight: normal; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1rem; display: block; overflow-x: auto; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        .cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: .5rem 0 1rem; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem; min-width: 7rem; }
        .figure { font-size: 1.6em; font-weight: 700; display: block; }
        .card.ok .figure, .status.ready, .status.succeeded, li.healthy { color: var(--ok); }
        .card.bad .figure, .status.down, .status.failed, .status.revoked, li.unhealthy { color: var(--bad); }
        .status.running, .status.sent, .status.queued { color: var(--warn); }
        .quiet { color: var(--muted); }
        .message { background: #fff; border-left: 3px solid var(--warn); padding: .4rem .7rem; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: #fff; padding: .7rem; }
        dt { color: var(--muted); }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: .8rem; }
        figure { margin: 0; background: #fff; border: 1px solid var(--line); padding: .5rem; }
        svg { width: 100%; height: 90px; }
        svg polyline { fill: none; stroke: #2e90fa; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
        button { background: var(--bad); color: #fff; border: 0; padding: .45rem .9rem; border-radius: 4px; cursor: pointer; }
        @media (max-width: 600px) { body { font-size: 14px; } th, td { padding: .3rem; } }
        """

    static let javascript = """
        'use strict';
        function setText(id, text) {
          const element = document.getElementById(id);
          if (element && element.textContent !== text) element.textContent = text;
        }
        document.addEventListener('DOMContentLoaded', () => {
          const live = document.querySelector('[data-live]');
          if (!live || !window.EventSource) return;
          const source = new EventSource(live.dataset.live);
          source.addEventListener('fleet', (event) => {
            const counts = JSON.parse(event.data);
            for (const key of ['total', 'ready', 'down', 'revoked']) setText('count-' + key, String(counts[key]));
          });
          source.addEventListener('progress', (event) => {
            const view = JSON.parse(event.data);
            setText('rollout-status', view.status);
            for (const [state, count] of Object.entries(view.counts)) setText('count-' + state, String(count));
            for (const node of view.nodes) {
              setText('node-' + node.nodeID + '-status', node.status);
              setText('node-' + node.nodeID + '-exit', node.exitCode === null || node.exitCode === undefined ? '' : String(node.exitCode));
              setText('node-' + node.nodeID + '-message', node.message || '');
            }
            if (view.finished) {
              source.close();
              const cancel = document.getElementById('cancel');
              if (cancel) cancel.remove();
            }
          });
        });
        """
}
