import { getOptions, setOptions } from 'hls-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { PlaylistParseError, parseDashManifest, parseHlsMasterPlaylist, parsePlaylist } from '../../../../src/datasources/oci/playlist.parser.js';

/**
 * A master playlist written by hand to cover what real packagers emit: CRLF line ends, comments, a vendor
 * tag, session data, two audio groups (stereo AAC with two languages, Atmos with `16/JOC` channels), a
 * rendition without URI (audio muxed into the variant), forced subtitles whose name and URI contain commas,
 * closed captions, variants without optional attributes, an audio-only variant, absolute and relative
 * URIs, query strings, and I-frame playlists with and without AVERAGE-BANDWIDTH.
 */
const EDGE_CASE_MASTER = [
  '#EXTM3U',
  '# A comment line that is not a tag',
  '#EXT-X-VERSION:7',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="Edge cases"',
  '#EXT-X-VENDOR-EXTENSION:FOO=1',
  '',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/en/aac.m3u8"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="fr-CA",NAME="Français (Canada)",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio/fr/aac.m3u8"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="atmos",LANGUAGE="en",NAME="English Atmos",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="16/JOC",URI="audio/en/atmos.m3u8"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="muxed",NAME="Main",DEFAULT=YES,AUTOSELECT=YES',
  '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="de",NAME="Deutsch, forced",DEFAULT=NO,AUTOSELECT=NO,FORCED=YES,URI="subs/de.m3u8?sig=a,b"',
  '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",LANGUAGE="en",NAME="CC1",INSTREAM-ID="CC1",DEFAULT=YES,AUTOSELECT=YES',
  '',
  '#EXT-X-STREAM-INF:BANDWIDTH=7680000,AVERAGE-BANDWIDTH=6500000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=23.976,AUDIO="aac",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
  'video/1080p.m3u8?token=abc%2Cdef',
  '#EXT-X-STREAM-INF:BANDWIDTH=8448000,RESOLUTION=1920x1080,CODECS="avc1.640028,ec-3",FRAME-RATE=23.976,AUDIO="atmos",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
  'https://cdn.example.com/video/1080p-atmos.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2",AUDIO="aac",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
  'video/360p.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.42e01e,mp4a.40.5",AUDIO="muxed"',
  'video/muxed-low.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.5"',
  'audio/only.m3u8',
  '',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=290000,RESOLUTION=1920x1080,CODECS="avc1.640028",URI="video/1080p-iframes.m3u8"',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,AVERAGE-BANDWIDTH=80000,RESOLUTION=640x360,CODECS="avc1.4d401e",URI="video/360p-iframes.m3u8"',
  '',
].join('\r\n');

/** A static MPD: one video set (frame rate on the set), audio in two languages (one `main`), text without a language. */
const STATIC_MPD = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT1M30S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <BaseURL>https://cdn.example.com/title/</BaseURL>
  <Period id="p0">
    <AdaptationSet contentType="video" mimeType="video/mp4" frameRate="25" segmentAlignment="true">
      <SegmentTemplate timescale="1" duration="10" startNumber="1" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number$.m4s"/>
      <Representation id="v-hd" bandwidth="4500000" width="1280" height="720" codecs="avc1.64001f"/>
      <Representation id="v-sd" bandwidth="1100000" width="640" height="360" codecs="avc1.4d401e" frameRate="50"/>
    </AdaptationSet>
    <AdaptationSet contentType="audio" mimeType="audio/mp4" lang="it">
      <SegmentTemplate timescale="1" duration="10" startNumber="1" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number$.m4s"/>
      <Representation id="a-it" bandwidth="96000" codecs="mp4a.40.2"/>
    </AdaptationSet>
    <AdaptationSet contentType="audio" mimeType="audio/mp4" lang="en">
      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>
      <SegmentTemplate timescale="1" duration="10" startNumber="1" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number$.m4s"/>
      <Representation id="a-en" bandwidth="128000" codecs="mp4a.40.2"/>
    </AdaptationSet>
    <AdaptationSet contentType="text" mimeType="text/vtt">
      <Representation id="t-und" bandwidth="200"><BaseURL>captions.vtt</BaseURL></Representation>
    </AdaptationSet>
  </Period>
</MPD>`;

/** A live MPD (type dynamic): no duration, segments computed from the clock. */
const LIVE_MPD = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="2025-01-01T00:00:00Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT30S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <Period id="live" start="PT0S">
    <AdaptationSet contentType="video" mimeType="video/mp4">
      <SegmentTemplate timescale="1" duration="2" startNumber="1" initialization="init.mp4" media="$Number$.m4s"/>
      <Representation id="live-v" bandwidth="2000000" width="1280" height="720" codecs="avc1.64001f"/>
    </AdaptationSet>
  </Period>
</MPD>`;

describe('parseHlsMasterPlaylist', () => {
  const playlist = parseHlsMasterPlaylist(EDGE_CASE_MASTER);

  it('reads every variant with its attributes when optional ones are missing or quoted with commas', () => {
    expect(playlist.version).toBe(7);
    expect(playlist.independentSegments).toBe(true);
    expect(playlist.variants).toEqual([
      {
        uri: 'video/1080p.m3u8?token=abc%2Cdef',
        bandwidth: 7_680_000,
        averageBandwidth: 6_500_000,
        resolution: { width: 1920, height: 1080 },
        codecs: 'avc1.640028,mp4a.40.2',
        frameRate: 23.976,
        audioGroupId: 'aac',
        subtitlesGroupId: 'subs',
        closedCaptionsGroupId: 'cc',
      },
      {
        uri: 'https://cdn.example.com/video/1080p-atmos.m3u8',
        bandwidth: 8_448_000,
        averageBandwidth: undefined,
        resolution: { width: 1920, height: 1080 },
        codecs: 'avc1.640028,ec-3',
        frameRate: 23.976,
        audioGroupId: 'atmos',
        subtitlesGroupId: 'subs',
        closedCaptionsGroupId: 'cc',
      },
      {
        uri: 'video/360p.m3u8',
        bandwidth: 1_200_000,
        averageBandwidth: undefined,
        resolution: { width: 640, height: 360 },
        codecs: 'avc1.4d401e,mp4a.40.2',
        frameRate: undefined,
        audioGroupId: 'aac',
        subtitlesGroupId: 'subs',
        closedCaptionsGroupId: 'cc',
      },
      {
        uri: 'video/muxed-low.m3u8',
        bandwidth: 800_000,
        averageBandwidth: undefined,
        resolution: undefined,
        codecs: 'avc1.42e01e,mp4a.40.5',
        frameRate: undefined,
        audioGroupId: 'muxed',
        subtitlesGroupId: undefined,
        closedCaptionsGroupId: undefined,
      },
      {
        uri: 'audio/only.m3u8',
        bandwidth: 64_000,
        averageBandwidth: undefined,
        resolution: undefined,
        codecs: 'mp4a.40.5',
        frameRate: undefined,
        audioGroupId: undefined,
        subtitlesGroupId: undefined,
        closedCaptionsGroupId: undefined,
      },
    ]);
  });

  it('lists each rendition once when several variants share its group', () => {
    expect(playlist.renditions.map((rendition) => `${rendition.type}/${rendition.groupId}/${rendition.name}`)).toEqual([
      'AUDIO/aac/English',
      'AUDIO/aac/Français (Canada)',
      'SUBTITLES/subs/Deutsch, forced',
      'CLOSED-CAPTIONS/cc/CC1',
      'AUDIO/atmos/English Atmos',
      'AUDIO/muxed/Main',
    ]);
  });

  it('keeps rendition attributes when a rendition has no URI, channel layouts or a region subtag', () => {
    const byName = new Map(playlist.renditions.map((rendition) => [rendition.name, rendition]));
    expect(byName.get('Français (Canada)')).toEqual({
      type: 'AUDIO',
      groupId: 'aac',
      name: 'Français (Canada)',
      language: 'fr-CA',
      isDefault: false,
      autoselect: true,
      uri: 'audio/fr/aac.m3u8',
      channels: '2',
    });
    expect(byName.get('English Atmos')?.channels).toBe('16/JOC');
    expect(byName.get('Main')).toMatchObject({ uri: undefined, language: undefined, isDefault: true });
    expect(byName.get('Deutsch, forced')).toMatchObject({ uri: 'subs/de.m3u8?sig=a,b', autoselect: false });
    expect(byName.get('CC1')).toMatchObject({ type: 'CLOSED-CAPTIONS', uri: undefined });
  });

  it('separates I-frame playlists from variants', () => {
    expect(playlist.iFrameVariants).toEqual([
      { uri: 'video/1080p-iframes.m3u8', bandwidth: 290_000, averageBandwidth: undefined, resolution: { width: 1920, height: 1080 }, codecs: 'avc1.640028' },
      { uri: 'video/360p-iframes.m3u8', bandwidth: 86_000, averageBandwidth: 80_000, resolution: { width: 640, height: 360 }, codecs: 'avc1.4d401e' },
    ]);
  });

  it('parses LF line ends the same as CRLF', () => {
    expect(parseHlsMasterPlaylist(EDGE_CASE_MASTER.replaceAll('\r\n', '\n'))).toEqual(playlist);
  });

  it.each([
    ['a media playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nsegment.ts\n#EXT-X-ENDLIST\n'],
    ['text without #EXTM3U', 'hello\n'],
    ['a variant referencing an undeclared audio group', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,AUDIO="nope"\nv.m3u8\n'],
    ['a variant tag without its URI line', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\n#EXT-X-STREAM-INF:BANDWIDTH=2000\nv.m3u8\n'],
    [
      'two default renditions in one group',
      '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",DEFAULT=YES,URI="x.m3u8"\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="y",DEFAULT=YES,URI="y.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1000,AUDIO="a"\nv.m3u8\n',
    ],
  ])('throws PlaylistParseError when given %s', (_label, text) => {
    expect(() => parseHlsMasterPlaylist(text)).toThrow(PlaylistParseError);
  });
});

describe('parseHlsMasterPlaylist options', () => {
  afterEach(() => setOptions({ strictMode: false, silent: false }));

  it('restores the global hls-parser options when parsing fails', () => {
    setOptions({ strictMode: false, silent: false });
    expect(() => parseHlsMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,AUDIO="nope"\nv.m3u8\n')).toThrow(PlaylistParseError);
    expect(getOptions()).toMatchObject({ strictMode: false, silent: false });
  });
});

describe('parseDashManifest', () => {
  it('lists video, audio and text representations with their attributes when the MPD is static', () => {
    const manifest = parseDashManifest(STATIC_MPD, Date.UTC(2025, 0, 1));
    expect(manifest).toMatchObject({ format: 'DASH', live: false, durationSeconds: 90 });
    expect(manifest.representations).toEqual([
      { id: 'v-hd', contentType: 'video', bandwidth: 4_500_000, codecs: 'avc1.64001f', resolution: { width: 1280, height: 720 }, frameRate: 25, language: undefined, isDefault: false, segmentCount: 9 },
      { id: 'v-sd', contentType: 'video', bandwidth: 1_100_000, codecs: 'avc1.4d401e', resolution: { width: 640, height: 360 }, frameRate: 50, language: undefined, isDefault: false, segmentCount: 9 },
      { id: 'a-it', contentType: 'audio', bandwidth: 96_000, codecs: 'mp4a.40.2', resolution: undefined, frameRate: undefined, language: 'it', isDefault: false, segmentCount: 9 },
      { id: 'a-en', contentType: 'audio', bandwidth: 128_000, codecs: 'mp4a.40.2', resolution: undefined, frameRate: undefined, language: 'en', isDefault: true, segmentCount: 9 },
      { id: 't-und', contentType: 'text', bandwidth: 200, codecs: undefined, resolution: undefined, frameRate: undefined, language: undefined, isDefault: false, segmentCount: 1 },
    ]);
  });

  it('reports a live manifest without a duration when the MPD is dynamic', () => {
    const manifest = parseDashManifest(LIVE_MPD, Date.UTC(2025, 0, 1, 0, 10, 0));
    expect(manifest.live).toBe(true);
    expect(manifest.durationSeconds).toBeUndefined();
    expect(manifest.representations.map((representation) => representation.id)).toEqual(['live-v']);
    expect(manifest.representations[0]?.segmentCount).toBeGreaterThan(0);
  });

  it.each([
    ['an empty document', ''],
    ['XML that is not an MPD', '<?xml version="1.0"?><playlist/>'],
    ['an MPD without a Period', '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"></MPD>'],
  ])('throws PlaylistParseError when given %s', (_label, text) => {
    expect(() => parseDashManifest(text, 0)).toThrow(PlaylistParseError);
  });
});

describe('parsePlaylist', () => {
  it('parses by the announced media type when one is given', () => {
    expect(parsePlaylist(EDGE_CASE_MASTER, 'application/vnd.apple.mpegurl; charset=utf-8', 0).format).toBe('HLS');
    expect(parsePlaylist(EDGE_CASE_MASTER, 'audio/mpegurl', 0).format).toBe('HLS');
    expect(parsePlaylist(STATIC_MPD, 'application/dash+xml', 0).format).toBe('DASH');
  });

  it('recognises the format from the text when the media type is missing or generic', () => {
    expect(parsePlaylist(`\n${EDGE_CASE_MASTER}`, undefined, 0).format).toBe('HLS');
    expect(parsePlaylist(STATIC_MPD, 'application/octet-stream', 0).format).toBe('DASH');
  });

  it('throws PlaylistParseError when the text is neither format', () => {
    expect(() => parsePlaylist('{"not": "a playlist"}', undefined, 0)).toThrow(PlaylistParseError);
  });

  it('throws PlaylistParseError when the media type and the text disagree', () => {
    expect(() => parsePlaylist(STATIC_MPD, 'application/vnd.apple.mpegurl', 0)).toThrow(PlaylistParseError);
  });
});
