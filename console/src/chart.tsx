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

/**
 * Archived fragments drawn on the live chart's time axis: each at its server timestamp (epoch s) with its duration
 * (ms, the left axis); `from` and `to` (epoch s) are the range they were listed for, which the axis then covers.
 */
export interface ArchiveSeries {
  readonly from: number;
  readonly to: number;
  readonly time: number[];
  readonly duration: (number | null)[];
}

/** A marked moment on the time axis (epoch s): a gap or a status change of the feed. */
export interface ChartMarker {
  readonly time: number;
  readonly kind: 'gap' | 'status';
  readonly label: string;
}

const GAP_COLOUR = '#c62828';
const STATUS_COLOUR = '#9a6700';
const ARCHIVE_COLOUR = '#c2410c';

interface LiveChartProps {
  readonly data: ChartData;
  readonly markers: readonly ChartMarker[];
  /** Archived fragments to draw with the live series; undefined draws none. */
  readonly archive: ArchiveSeries | undefined;
  readonly label: string;
}

/**
 * The last {@link CHART_WINDOW_S} seconds of a stream: millisBehindNow and delivery latency (ms, left axis) and
 * fragments per second (right axis), with gaps and status changes drawn as vertical lines. With `archive`, its
 * fragments are points (duration, ms) on the same axis, which then spans the live window and the archive's range.
 */
export function LiveChart({ data, markers, archive, label }: LiveChartProps): React.JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const markerRef = useRef<readonly ChartMarker[]>(markers);
  markerRef.current = markers;
  // Read by the x scale at every redraw, like the clock: the axis follows the live window and the archive's range.
  const archiveRef = useRef<ArchiveSeries | undefined>(archive);
  archiveRef.current = archive;

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
        x: { time: true, range: () => xRange(archiveRef.current) },
        ms: { auto: true },
        rate: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] },
      },
      axes: [{}, { scale: 'ms', label: 'ms', size: 60 }, { scale: 'rate', side: 1, label: 'fragments/s', grid: { show: false } }],
      series: [
        {},
        { label: 'millisBehindNow (ms)', scale: 'ms', stroke: '#1565c0', width: 2, spanGaps: false },
        { label: 'delivery latency (ms)', scale: 'ms', stroke: '#2e7d32', width: 2, spanGaps: false },
        { label: 'fragments/s', scale: 'rate', stroke: '#6a1b9a', width: 2, dash: [4, 3] },
        // Points only: archived fragments are separate facts, and a line would invent values between them.
        { label: 'archived fragment duration (ms)', scale: 'ms', stroke: ARCHIVE_COLOUR, width: 1, paths: () => null, points: { show: true, size: 6, fill: ARCHIVE_COLOUR } },
      ],
      hooks: { draw: [drawMarkers] },
    };
    const created = new uPlot(options, [[], [], [], [], []], element);
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
    plot.current?.setData(columnsOf(data, archive));
  }, [data, markers, archive]);

  return (
    <figure className="chart">
      <div ref={box} role="img" aria-label={label} data-points={data.time.length} data-archived-points={archive?.time.length ?? 0} data-markers={markers.length} />
      <figcaption>
        Last 5 minutes live{archive === undefined ? '' : ', and the chosen range of archived fragments'}. Vertical lines: <span className="gap-key">gaps</span> and{' '}
        <span className="status-key">status changes</span>.
        {archive !== undefined && (
          <>
            {' '}
            <span className="archive-key">Points: archived fragments</span> at their server time, by duration (ms).
          </>
        )}
      </figcaption>
    </figure>
  );
}

/** The x range (epoch s): the live window, widened to the archive's range when there is one. */
function xRange(archive: ArchiveSeries | undefined): uPlot.Range.MinMax {
  const now = Date.now() / 1000;
  if (archive === undefined) return [now - CHART_WINDOW_S, now];
  return [Math.min(now - CHART_WINDOW_S, archive.from), Math.max(now, archive.to)];
}

/**
 * The live columns (by arrival time) and the archive's (by server time) on one x column. Where one table has no
 * value at the other's time uPlot's join leaves `undefined`, which lines pass over, unlike a real `null` (a gap).
 */
function columnsOf(data: ChartData, archive: ArchiveSeries | undefined): uPlot.AlignedData {
  return uPlot.join([
    [data.time, data.behind, data.latency, data.rate],
    [archive?.time ?? [], archive?.duration ?? []],
  ]);
}
