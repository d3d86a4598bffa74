import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

/** Seconds of history the live chart shows. */
export const CHART_WINDOW_S = 300;

/** Columns of the live chart: arrival time (epoch s) and one value per series, `null` where unknown. */
export interface ChartData {
  readonly time: number[];
  readonly behind: (number | null)[];
  readonly latency: (number | null)[];
  readonly rate: (number | null)[];
}

/** A marked moment on the time axis (epoch s): a gap or a status change of the feed. */
export interface ChartMarker {
  readonly time: number;
  readonly kind: 'gap' | 'status';
  readonly label: string;
}

const GAP_COLOUR = '#c62828';
const STATUS_COLOUR = '#9a6700';

interface LiveChartProps {
  readonly data: ChartData;
  readonly markers: readonly ChartMarker[];
  readonly label: string;
}

/**
 * The last {@link CHART_WINDOW_S} seconds of a stream: millisBehindNow and delivery latency (ms, left axis) and
 * fragments per second (right axis), with gaps and status changes drawn as vertical lines.
 */
export function LiveChart({ data, markers, label }: LiveChartProps): React.JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const markerRef = useRef<readonly ChartMarker[]>(markers);
  markerRef.current = markers;

  useEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    const drawMarkers = (u: uPlot): void => {
      const { ctx, bbox } = u;
      ctx.save();
      ctx.lineWidth = 2 * devicePixelRatio;
      for (const marker of markerRef.current) {
        const x = u.valToPos(marker.time, 'x', true);
        if (x < bbox.left || x > bbox.left + bbox.width) continue;
        ctx.strokeStyle = marker.kind === 'gap' ? GAP_COLOUR : STATUS_COLOUR;
        ctx.setLineDash(marker.kind === 'gap' ? [] : [6, 4]);
        ctx.beginPath();
        ctx.moveTo(x, bbox.top);
        ctx.lineTo(x, bbox.top + bbox.height);
        ctx.stroke();
      }
      ctx.restore();
    };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: 260,
      scales: {
        x: { time: true, range: () => [Date.now() / 1000 - CHART_WINDOW_S, Date.now() / 1000] },
        ms: { auto: true },
        rate: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] },
      },
      axes: [{}, { scale: 'ms', label: 'ms', size: 60 }, { scale: 'rate', side: 1, label: 'fragments/s', grid: { show: false } }],
      series: [
        {},
        { label: 'millisBehindNow (ms)', scale: 'ms', stroke: '#1565c0', width: 2, spanGaps: false },
        { label: 'delivery latency (ms)', scale: 'ms', stroke: '#2e7d32', width: 2, spanGaps: false },
        { label: 'fragments/s', scale: 'rate', stroke: '#6a1b9a', width: 2, dash: [4, 3] },
      ],
      hooks: { draw: [drawMarkers] },
    };
    const created = new uPlot(options, [[], [], [], []], element);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: Math.max(element.clientWidth, 280), height: 260 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([data.time, data.behind, data.latency, data.rate]);
  }, [data, markers]);

  return (
    <figure className="chart">
      <div ref={box} role="img" aria-label={label} data-points={data.time.length} data-markers={markers.length} />
      <figcaption>
        Last 5 minutes. Vertical lines: <span className="gap-key">gaps</span> and <span className="status-key">status changes</span>.
      </figcaption>
    </figure>
  );
}
