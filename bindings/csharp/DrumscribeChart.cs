// drumscribe chart loader for C# (Unity, Godot C#, any .NET): JSON chart v1.
//
// One file, no packages: a strict JSON parser (RFC 8259, no duplicate keys, nesting depth
// <= 64) and a validator that enforces all of bindings/chart.schema.json plus the rules it
// cannot express (bindings/README.md): lane i has index i and lane i's name, tempo_map
// strictly increasing in time with each segment's beat where the one before arrives (within
// 0.01 beat), beats and each difficulty's hits non-decreasing in time.
//
//   Chart chart = ChartLoader.Load("song.chart.json");   // or ChartLoader.Parse(text / bytes)
//   foreach (Hit h in chart.Difficulties.Expert.Hits) Spawn(h.Time, h.Lane, h.Velocity);
//
// Invalid input throws ChartException: Kind (Parse, Type, Missing, Unknown, Value, Version,
// Range, Count, Order, Io), Path ("difficulties.expert.hits[3].time_s") and a Message that
// starts with the path ("difficulties.expert.hits[3].time_s: not sorted (1.5 after 2)").
//
// Written for C# 7.2 (mono's mcs, Unity); no LINQ, no System.Text.Json.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Drumscribe
{
    /// <summary>What kind of problem made a chart invalid.</summary>
    public enum ChartErrorKind { Parse, Type, Missing, Unknown, Value, Version, Range, Count, Order, Io }

    /// <summary>An invalid or unreadable chart. Message is "path: problem".</summary>
    public class ChartException : Exception
    {
        public ChartErrorKind Kind { get; private set; }
        /// <summary>Where in the chart: "difficulties.expert.hits[3].time_s", "(root)", "(json)".</summary>
        public string Path { get; private set; }

        public ChartException(ChartErrorKind kind, string path, string problem)
            : base(path + ": " + problem)
        {
            Kind = kind;
            Path = path;
        }

        /// <summary>The kind in lowercase, as the other bindings name it ("parse", "order", ...).</summary>
        public string KindName { get { return Kind.ToString().ToLowerInvariant(); } }
    }

    /// <summary>One lane of the 8: index 0..7, name ("kick", ...), General MIDI note.</summary>
    public sealed class Lane
    {
        public int Index { get; private set; }
        public string Name { get; private set; }
        public int GmNote { get; private set; }
        internal Lane(int index, string name, int gmNote) { Index = index; Name = name; GmNote = gmNote; }
    }

    /// <summary>A drum hit: seconds from the start of the audio, lane 0..7, velocity 1..127.</summary>
    public struct Hit
    {
        public readonly double Time;
        public readonly int Lane;
        public readonly int Velocity;
        public Hit(double time, int lane, int velocity) { Time = time; Lane = lane; Velocity = velocity; }
    }

    /// <summary>A tempo segment starting at Time seconds and beat position Beat.</summary>
    public struct TempoSegment
    {
        public readonly double Time;
        public readonly double Bpm;
        public readonly double Beat;
        public TempoSegment(double time, double bpm, double beat) { Time = time; Bpm = bpm; Beat = beat; }
    }

    /// <summary>One beat of the beat grid.</summary>
    public struct Beat
    {
        public readonly double Time;
        public readonly bool Downbeat;
        public Beat(double time, bool downbeat) { Time = time; Downbeat = downbeat; }
    }

    /// <summary>The hits of one difficulty, sorted by time (ties keep file order).</summary>
    public sealed class Track
    {
        public Hit[] Hits { get; private set; }
        internal Track(Hit[] hits) { Hits = hits; }
    }

    /// <summary>Expert is always there; Hard, Medium, Easy are null when absent.</summary>
    public sealed class Difficulties
    {
        public Track Expert { get; internal set; }
        public Track Hard { get; internal set; }
        public Track Medium { get; internal set; }
        public Track Easy { get; internal set; }

        /// <summary>"expert", "hard", "medium" or "easy"; null when absent.</summary>
        public Track Get(string name)
        {
            switch (name)
            {
                case "expert": return Expert;
                case "hard": return Hard;
                case "medium": return Medium;
                case "easy": return Easy;
                default: return null;
            }
        }
    }

    /// <summary>A loaded chart (format "drumscribe-chart", version 1).</summary>
    public sealed class Chart
    {
        public int Version { get; internal set; }
        public Lane[] Lanes { get; internal set; }
        public double DurationS { get; internal set; }
        public TempoSegment[] TempoMap { get; internal set; }
        public Beat[] Beats { get; internal set; }
        public Difficulties Difficulties { get; internal set; }
    }

    /// <summary>Load and validate JSON charts.</summary>
    public static class ChartLoader
    {
        public const string Format = "drumscribe-chart";
        public const int SupportedVersion = 1;
        public static readonly string[] LaneNames =
            { "kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride" };
        public static readonly string[] DifficultyNames = { "expert", "hard", "medium", "easy" };

        /// <summary>
        /// Largest chart file <see cref="Load"/> reads, bytes (64 MiB, as every drumscribe loader:
        /// bindings/README.md). Only regular files are read: a pipe or a device such as /dev/zero
        /// would be endless.
        /// </summary>
        public const long MaxChartBytes = 64L * 1024 * 1024;

        /// <summary>
        /// Load a chart file (UTF-8). Messages end with " (in PATH)". Kind Io when the file cannot
        /// be read: missing, a folder, a pipe or a device, larger than <see cref="MaxChartBytes"/>.
        /// </summary>
        public static Chart Load(string path)
        {
            byte[] bytes;
            try
            {
                bytes = ReadChartFile(path);
            }
            catch (Exception e)
            {
                throw new ChartException(ChartErrorKind.Io, path, "cannot read the file: " + e.Message);
            }
            try
            {
                return Parse(bytes);
            }
            catch (ChartException e)
            {
                throw new ChartException(e.Kind, e.Path, e.Message.Substring(e.Path.Length + 2) + " (in " + path + ")");
            }
        }

        const string NotRegular = "not a regular file (a pipe or a device)";

        // Never opens a pipe (a FIFO nobody writes to would block) and never reads more than the
        // file's size + 1 bytes (a device such as /dev/zero would be read forever).
        static byte[] ReadChartFile(string path)
        {
            FileAttributes attributes = File.GetAttributes(path);  // throws when missing
            if ((attributes & FileAttributes.Directory) != 0) throw new IOException("it is a folder");
            if ((attributes & FileAttributes.Device) != 0 || UnixFile.IsPipe(path)) throw new IOException(NotRegular);
            long size = new FileInfo(path).Length;
            if (size > MaxChartBytes) throw new IOException(size + " bytes, more than the " + MaxChartBytes + " allowed");
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
            {
                // mono reports a pipe or a character device as not seekable
                if (!stream.CanSeek) throw new IOException(NotRegular);
                byte[] buffer = new byte[size + 1];
                int length = 0;
                for (;;)
                {
                    int got = stream.Read(buffer, length, buffer.Length - length);
                    if (got == 0) break;
                    length += got;
                    if (length == buffer.Length) throw new IOException("the file grew while it was read");
                }
                byte[] bytes = new byte[length];
                Array.Copy(buffer, bytes, length);
                return bytes;
            }
        }

        /// <summary>Parse a chart from UTF-8 bytes (a leading byte order mark is allowed).</summary>
        public static Chart Parse(byte[] utf8)
        {
            if (utf8 == null) throw new ArgumentNullException("utf8");
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(utf8);
            }
            catch (DecoderFallbackException e)
            {
                throw new ChartException(ChartErrorKind.Parse, "(json)", "not valid UTF-8 (byte " + e.Index + ")");
            }
            catch (ArgumentException)
            {
                throw new ChartException(ChartErrorKind.Parse, "(json)", "not valid UTF-8");
            }
            return Parse(text);
        }

        /// <summary>Parse a chart from JSON text.</summary>
        public static Chart Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            if (text.Length > 0 && text[0] == '\uFEFF') text = text.Substring(1);
            object doc;
            try
            {
                doc = new JsonParser(text).ParseDocument();
            }
            catch (JsonSyntaxException e)
            {
                throw new ChartException(ChartErrorKind.Parse, "(json)", e.Message);
            }
            return ReadChart(doc);
        }

        // -------------------------------------------------------------- validation

        const double SecondsMax = 86400;
        /// <summary>A tempo segment's beat must be where the one before arrives, within this.</summary>
        public const double TempoBeatTolerance = 0.01;

        static string Child(string path, string key) { return path == "(root)" ? key : path + "." + key; }

        static string Num(double x)
        {
            if (double.IsPositiveInfinity(x)) return "Infinity";
            if (double.IsNegativeInfinity(x)) return "-Infinity";
            return x.ToString("R", CultureInfo.InvariantCulture);
        }

        static string Describe(object v)
        {
            if (v == null || v is JsonNull) return "null";
            if (v is List<object>) return "an array";
            if (v is JsonObject) return "an object";
            if (v is string) return "a string";
            if (v is bool) return "a boolean";
            return "the number " + Num((double)v);
        }

        static JsonObject AsObject(object v, string path)
        {
            var o = v as JsonObject;
            if (o == null) throw new ChartException(ChartErrorKind.Type, path, "expected an object, got " + Describe(v));
            return o;
        }

        static List<object> AsArray(object v, string path)
        {
            var a = v as List<object>;
            if (a == null) throw new ChartException(ChartErrorKind.Type, path, "expected an array, got " + Describe(v));
            return a;
        }

        static void OnlyKeys(JsonObject o, string path, params string[] allowed)
        {
            foreach (string key in o.Keys)
            {
                if (Array.IndexOf(allowed, key) < 0)
                    throw new ChartException(ChartErrorKind.Unknown, Child(path, key), "unknown key");
            }
        }

        static object Required(JsonObject o, string path, string key)
        {
            object v;
            if (!o.Map.TryGetValue(key, out v))
                throw new ChartException(ChartErrorKind.Missing, Child(path, key), "required key is missing");
            return v;
        }

        static object Optional(JsonObject o, string key)
        {
            object v;
            return o.Map.TryGetValue(key, out v) ? v : null; // JSON null is JsonNull, not null
        }

        static double Number(object v, string path, double min, double max, bool exclusiveMin)
        {
            if (!(v is double)) throw new ChartException(ChartErrorKind.Type, path, "expected a number, got " + Describe(v));
            double x = (double)v;
            bool low = exclusiveMin ? x <= min : x < min;
            if (low || x > max)
            {
                string lo = (exclusiveMin ? "(" : "[") + Num(min);
                string hi = double.IsPositiveInfinity(max) ? "inf)" : Num(max) + "]";
                throw new ChartException(ChartErrorKind.Range, path, Num(x) + " is out of range " + lo + ", " + hi);
            }
            return x;
        }

        static double IntegerValue(object v, string path, double min, double max)
        {
            if (!(v is double) || double.IsInfinity((double)v) || Math.Floor((double)v) != (double)v)
                throw new ChartException(ChartErrorKind.Type, path, "expected an integer, got " + Describe(v));
            return Number(v, path, min, max, false);
        }

        static int Integer(object v, string path, int min, int max)
        {
            return (int)IntegerValue(v, path, min, max); // checked to lie in [min, max] first
        }

        static double Seconds(object v, string path) { return Number(v, path, 0, SecondsMax, false); }

        static void StringOrNull(object v, string path)
        {
            if (!(v is string) && !(v is JsonNull))
                throw new ChartException(ChartErrorKind.Type, path, "expected a string or null, got " + Describe(v));
        }

        static void CheckOrder(double time, double prev, bool hasPrev, string path, bool strict)
        {
            if (!hasPrev) return;
            if (time < prev || (strict && time == prev))
            {
                throw new ChartException(ChartErrorKind.Order, path,
                    (strict ? "not strictly increasing (" : "not sorted (") + Num(time) + " after " + Num(prev) + ")");
            }
        }

        static Chart ReadChart(object doc)
        {
            const string root = "(root)";
            JsonObject o = AsObject(doc, root);
            object format = Required(o, root, "format");
            if (!(format is string) || (string)format != Format)
            {
                string got = format is string ? Quote((string)format) : Describe(format);
                throw new ChartException(ChartErrorKind.Value, "format", "expected \"" + Format + "\", got " + got);
            }
            object version = Required(o, root, "version");
            if (!(version is double) || (double)version != SupportedVersion)
            {
                string got = version is double ? Num((double)version) : version is string ? Quote((string)version) : Describe(version);
                throw new ChartException(ChartErrorKind.Version, "version",
                    "unsupported chart version " + got + " (this loader reads version " + SupportedVersion + ")");
            }
            OnlyKeys(o, root, "format", "version", "lanes", "duration_s", "audio", "model", "time_signature",
                     "tempo_map", "beats", "quantization", "difficulties");
            var chart = new Chart { Version = SupportedVersion };
            chart.Lanes = ReadLanes(Required(o, root, "lanes"));
            chart.DurationS = Seconds(Required(o, root, "duration_s"), "duration_s");
            object audio = Optional(o, "audio");
            if (audio != null) ReadAudio(audio);
            object model = Optional(o, "model");
            if (model != null) AsObject(model, "model");
            object ts = Optional(o, "time_signature");
            if (ts != null) ReadTimeSignature(ts);
            chart.TempoMap = ReadTempoMap(Required(o, root, "tempo_map"));
            chart.Beats = ReadBeats(Required(o, root, "beats"));
            object q = Optional(o, "quantization");
            if (q != null) ReadQuantization(q);
            chart.Difficulties = ReadDifficulties(Required(o, root, "difficulties"));
            return chart;
        }

        static string Quote(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        static Lane[] ReadLanes(object v)
        {
            List<object> arr = AsArray(v, "lanes");
            if (arr.Count != 8)
                throw new ChartException(ChartErrorKind.Count, "lanes", "expected 8 lanes, got " + arr.Count);
            var lanes = new Lane[8];
            for (int i = 0; i < 8; i++)
            {
                string p = "lanes[" + i + "]";
                JsonObject o = AsObject(arr[i], p);
                OnlyKeys(o, p, "index", "name", "gm_note");
                int index = Integer(Required(o, p, "index"), p + ".index", 0, 7);
                if (index != i)
                    throw new ChartException(ChartErrorKind.Value, p + ".index",
                        "is " + index + ", must be " + i + " (lanes are listed in index order)");
                object name = Required(o, p, "name");
                if (!(name is string))
                    throw new ChartException(ChartErrorKind.Type, p + ".name", "expected a string, got " + Describe(name));
                if (Array.IndexOf(LaneNames, (string)name) < 0)
                    throw new ChartException(ChartErrorKind.Value, p + ".name", "unknown lane name " + Quote((string)name));
                if ((string)name != LaneNames[i])
                    throw new ChartException(ChartErrorKind.Value, p + ".name",
                        "is " + Quote((string)name) + ", lane " + i + " is " + Quote(LaneNames[i]));
                int gm = Integer(Required(o, p, "gm_note"), p + ".gm_note", 0, 127);
                lanes[i] = new Lane(index, (string)name, gm);
            }
            return lanes;
        }

        static void ReadAudio(object v)
        {
            JsonObject o = AsObject(v, "audio");
            OnlyKeys(o, "audio", "file", "sha256");
            object file = Optional(o, "file");
            if (file != null) StringOrNull(file, "audio.file");
            object sha = Optional(o, "sha256");
            if (sha != null)
            {
                StringOrNull(sha, "audio.sha256");
                string s = sha as string;
                if (s != null && !IsSha256(s))
                    throw new ChartException(ChartErrorKind.Value, "audio.sha256", "expected 64 lowercase hex digits");
            }
        }

        static bool IsSha256(string s)
        {
            if (s.Length != 64) return false;
            foreach (char c in s)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
            return true;
        }

        static void ReadTimeSignature(object v)
        {
            const string p = "time_signature";
            JsonObject o = AsObject(v, p);
            OnlyKeys(o, p, "numerator", "denominator");
            Integer(Required(o, p, "numerator"), p + ".numerator", 1, 32);
            object d = Required(o, p, "denominator");
            double x = d is double ? (double)d : double.NaN;
            if (!(x == 1 || x == 2 || x == 4 || x == 8 || x == 16 || x == 32))
                throw new ChartException(ChartErrorKind.Value, p + ".denominator",
                    "expected one of 1, 2, 4, 8, 16, 32, got " + Describe(d));
        }

        static TempoSegment[] ReadTempoMap(object v)
        {
            List<object> arr = AsArray(v, "tempo_map");
            if (arr.Count < 1)
                throw new ChartException(ChartErrorKind.Count, "tempo_map", "needs at least one tempo segment");
            var out_ = new TempoSegment[arr.Count];
            for (int i = 0; i < arr.Count; i++)
            {
                string p = "tempo_map[" + i + "]";
                JsonObject o = AsObject(arr[i], p);
                OnlyKeys(o, p, "time_s", "bpm", "beat");
                double time = Seconds(Required(o, p, "time_s"), p + ".time_s");
                double bpm = Number(Required(o, p, "bpm"), p + ".bpm", 0, 1000, true);
                double beat = Number(Required(o, p, "beat"), p + ".beat", 0, 1e6, false);
                CheckOrder(time, i > 0 ? out_[i - 1].Time : 0, i > 0, p + ".time_s", true);
                if (i > 0)
                {
                    TempoSegment prev = out_[i - 1];
                    double expect = prev.Beat + (time - prev.Time) * prev.Bpm / 60.0;
                    if (Math.Abs(expect - beat) > TempoBeatTolerance)
                        throw new ChartException(ChartErrorKind.Value, p + ".beat",
                            "is " + Num(beat) + " but the segment before reaches beat " + Num(expect) + " at " + Num(time) + " s");
                }
                out_[i] = new TempoSegment(time, bpm, beat);
            }
            return out_;
        }

        static Beat[] ReadBeats(object v)
        {
            List<object> arr = AsArray(v, "beats");
            var out_ = new Beat[arr.Count];
            for (int i = 0; i < arr.Count; i++)
            {
                string p = "beats[" + i + "]";
                JsonObject o = AsObject(arr[i], p);
                OnlyKeys(o, p, "time_s", "downbeat");
                double time = Seconds(Required(o, p, "time_s"), p + ".time_s");
                object down = Required(o, p, "downbeat");
                if (!(down is bool))
                    throw new ChartException(ChartErrorKind.Type, p + ".downbeat", "expected a boolean, got " + Describe(down));
                CheckOrder(time, i > 0 ? out_[i - 1].Time : 0, i > 0, p + ".time_s", false);
                out_[i] = new Beat(time, (bool)down);
            }
            return out_;
        }

        static void ReadQuantization(object v)
        {
            const string p = "quantization";
            JsonObject o = AsObject(v, p);
            OnlyKeys(o, p, "grid", "tolerance_s", "snapped", "kept", "max_shift_s");
            object x;
            if ((x = Optional(o, "grid")) != null) StringOrNull(x, p + ".grid");
            if ((x = Optional(o, "tolerance_s")) != null) Number(x, p + ".tolerance_s", 0, double.PositiveInfinity, false);
            if ((x = Optional(o, "snapped")) != null) IntegerValue(x, p + ".snapped", 0, double.PositiveInfinity);
            if ((x = Optional(o, "kept")) != null) IntegerValue(x, p + ".kept", 0, double.PositiveInfinity);
            if ((x = Optional(o, "max_shift_s")) != null) Number(x, p + ".max_shift_s", 0, double.PositiveInfinity, false);
        }

        static Track ReadTrack(object v, string p)
        {
            JsonObject o = AsObject(v, p);
            OnlyKeys(o, p, "hits");
            List<object> arr = AsArray(Required(o, p, "hits"), p + ".hits");
            var hits = new Hit[arr.Count];
            for (int i = 0; i < arr.Count; i++)
            {
                string hp = p + ".hits[" + i + "]";
                JsonObject h = AsObject(arr[i], hp);
                OnlyKeys(h, hp, "time_s", "lane", "velocity", "raw_time_s", "beat");
                double time = Seconds(Required(h, hp, "time_s"), hp + ".time_s");
                int lane = Integer(Required(h, hp, "lane"), hp + ".lane", 0, 7);
                int velocity = Integer(Required(h, hp, "velocity"), hp + ".velocity", 1, 127);
                object x;
                if ((x = Optional(h, "raw_time_s")) != null) Seconds(x, hp + ".raw_time_s");
                if ((x = Optional(h, "beat")) != null) Number(x, hp + ".beat", 0, double.PositiveInfinity, false);
                CheckOrder(time, i > 0 ? hits[i - 1].Time : 0, i > 0, hp + ".time_s", false);
                hits[i] = new Hit(time, lane, velocity);
            }
            return new Track(hits);
        }

        static Difficulties ReadDifficulties(object v)
        {
            const string p = "difficulties";
            JsonObject o = AsObject(v, p);
            OnlyKeys(o, p, DifficultyNames);
            Required(o, p, "expert");
            var d = new Difficulties();
            object t;
            if ((t = Optional(o, "expert")) != null) d.Expert = ReadTrack(t, p + ".expert");
            if ((t = Optional(o, "hard")) != null) d.Hard = ReadTrack(t, p + ".hard");
            if ((t = Optional(o, "medium")) != null) d.Medium = ReadTrack(t, p + ".medium");
            if ((t = Optional(o, "easy")) != null) d.Easy = ReadTrack(t, p + ".easy");
            return d;
        }
    }

    // ------------------------------------------------------------------ strict JSON

    /// <summary>JSON null (C# null means "absent").</summary>
    internal sealed class JsonNull
    {
        internal static readonly JsonNull Value = new JsonNull();
        JsonNull() { }
    }

    /// <summary>A JSON object: keys in document order and a lookup table.</summary>
    internal sealed class JsonObject
    {
        internal readonly List<string> Keys = new List<string>();
        internal readonly Dictionary<string, object> Map = new Dictionary<string, object>(StringComparer.Ordinal);
    }

    internal sealed class JsonSyntaxException : Exception
    {
        internal JsonSyntaxException(string message) : base(message) { }
    }

    /// <summary>
    /// Strict RFC 8259 parser. Values: JsonObject, List&lt;object&gt;, string, double (numbers
    /// that overflow become +-Infinity), bool, JsonNull. Recursion is bounded by MaxDepth.
    /// </summary>
    internal sealed class JsonParser
    {
        internal const int MaxDepth = 64;
        readonly string _s;
        int _pos;

        internal JsonParser(string text) { _s = text; }

        JsonSyntaxException Fail(string message, int at)
        {
            int line = 1, col = 1;
            for (int i = 0; i < at && i < _s.Length; i++)
            {
                if (_s[i] == '\n') { line++; col = 1; } else col++;
            }
            return new JsonSyntaxException(message + " at line " + line + " column " + col);
        }

        JsonSyntaxException Fail(string message) { return Fail(message, _pos); }

        JsonSyntaxException EndOr(string message)
        {
            return Fail(_pos >= _s.Length ? "unexpected end of input" : message);
        }

        void SkipWs()
        {
            while (_pos < _s.Length)
            {
                char c = _s[_pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') _pos++;
                else break;
            }
        }

        internal object ParseDocument()
        {
            SkipWs();
            if (_pos >= _s.Length) throw Fail("empty document");
            object v = ParseValue(0);
            SkipWs();
            if (_pos < _s.Length) throw Fail("unexpected text after the JSON value");
            return v;
        }

        object ParseValue(int depth)
        {
            if (_pos >= _s.Length) throw Fail("unexpected end of input");
            char c = _s[_pos];
            switch (c)
            {
                case '{': return ParseObject(depth + 1);
                case '[': return ParseArray(depth + 1);
                case '"': return ParseString();
                case 't': Literal("true"); return true;
                case 'f': Literal("false"); return false;
                case 'n': Literal("null"); return JsonNull.Value;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                    throw Fail("unexpected character '" + c + "'");
            }
        }

        void Literal(string word)
        {
            if (string.CompareOrdinal(_s, _pos, word, 0, word.Length) != 0 || _pos + word.Length > _s.Length)
                throw Fail("invalid literal");
            _pos += word.Length;
        }

        void Enter(int depth)
        {
            if (depth > MaxDepth) throw Fail("nested deeper than " + MaxDepth);
            _pos++;
            SkipWs();
        }

        JsonObject ParseObject(int depth)
        {
            Enter(depth);
            var o = new JsonObject();
            if (_pos < _s.Length && _s[_pos] == '}') { _pos++; return o; }
            while (true)
            {
                if (_pos >= _s.Length || _s[_pos] != '"') throw EndOr("expected a string key");
                int keyAt = _pos;
                string key = ParseString();
                if (o.Map.ContainsKey(key)) throw Fail("duplicate key " + Escape(key), keyAt);
                SkipWs();
                if (_pos >= _s.Length || _s[_pos] != ':') throw EndOr("expected ':'");
                _pos++;
                SkipWs();
                object v = ParseValue(depth);
                o.Keys.Add(key);
                o.Map.Add(key, v);
                SkipWs();
                if (_pos >= _s.Length) throw Fail("unexpected end of input");
                char c = _s[_pos];
                if (c == ',') { _pos++; SkipWs(); }
                else if (c == '}') { _pos++; return o; }
                else throw Fail("expected ',' or '}'");
            }
        }

        List<object> ParseArray(int depth)
        {
            Enter(depth);
            var a = new List<object>();
            if (_pos < _s.Length && _s[_pos] == ']') { _pos++; return a; }
            while (true)
            {
                a.Add(ParseValue(depth));
                SkipWs();
                if (_pos >= _s.Length) throw Fail("unexpected end of input");
                char c = _s[_pos];
                if (c == ',') { _pos++; SkipWs(); }
                else if (c == ']') { _pos++; return a; }
                else throw Fail("expected ',' or ']'");
            }
        }

        static string Escape(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        static int Hex(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        string ParseString()
        {
            int i = _pos + 1;
            StringBuilder sb = null;
            int runStart = i;
            while (true)
            {
                if (i >= _s.Length) throw Fail("unterminated string", i);
                char c = _s[i];
                if (c == '"')
                {
                    string tail = _s.Substring(runStart, i - runStart);
                    _pos = i + 1;
                    return sb == null ? tail : sb.Append(tail).ToString();
                }
                if (c < 0x20) throw Fail("control character in a string", i);
                if (c == '\\')
                {
                    if (sb == null) sb = new StringBuilder();
                    sb.Append(_s, runStart, i - runStart);
                    if (i + 1 >= _s.Length) throw Fail("unterminated string", i);
                    char e = _s[i + 1];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            int code = 0;
                            for (int k = 0; k < 4; k++)
                            {
                                int h = i + 2 + k < _s.Length ? Hex(_s[i + 2 + k]) : -1;
                                if (h < 0) throw Fail("invalid \\u escape", i);
                                code = code * 16 + h;
                            }
                            sb.Append((char)code);
                            i += 4;
                            break;
                        default:
                            throw Fail("invalid escape", i);
                    }
                    i += 2;
                    runStart = i;
                    continue;
                }
                i++;
            }
        }

        static bool Digit(string s, int i) { return i < s.Length && s[i] >= '0' && s[i] <= '9'; }

        object ParseNumber()
        {
            int start = _pos, i = _pos;
            if (_s[i] == '-') i++;
            if (!Digit(_s, i)) throw Fail("invalid number");
            if (_s[i] == '0') i++;
            else while (Digit(_s, i)) i++;
            if (i < _s.Length && _s[i] == '.')
            {
                i++;
                if (!Digit(_s, i)) throw Fail("invalid number", i);
                while (Digit(_s, i)) i++;
            }
            if (i < _s.Length && (_s[i] == 'e' || _s[i] == 'E'))
            {
                i++;
                if (i < _s.Length && (_s[i] == '+' || _s[i] == '-')) i++;
                if (!Digit(_s, i)) throw Fail("invalid number", i);
                while (Digit(_s, i)) i++;
            }
            if (i < _s.Length && (Digit(_s, i) || _s[i] == '.' || _s[i] == 'e' || _s[i] == 'E' || _s[i] == '+' || _s[i] == '-'))
                throw Fail("invalid number", i);
            string text = _s.Substring(start, i - start);
            _pos = i;
            try
            {
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                // .NET Framework and mono throw where .NET Core returns infinity
                return text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            }
        }
    }

    /// <summary>
    /// Tells a named pipe (or socket) from a file before it is opened: .NET opens a FIFO with a
    /// plain open(2), which blocks until someone writes to it. Opens the path with O_NONBLOCK
    /// through libc and asks lseek(2), which fails on a pipe. Best effort: false where libc
    /// cannot be called (Windows, a runtime without it) or the path cannot be opened (the
    /// managed open that follows reports why).
    /// </summary>
    internal static class UnixFile
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        static extern int Open(string path, int flags);

        [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
        static extern IntPtr Seek(int fd, IntPtr offset, int whence);

        [DllImport("libc", EntryPoint = "close")]
        static extern int Close(int fd);

        internal static bool IsPipe(string path)
        {
            int nonBlock;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) nonBlock = 0x800;
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) nonBlock = 0x4;
            else return false;
            try
            {
                int fd = Open(path, nonBlock);  // O_RDONLY is 0
                if (fd < 0) return false;
                try
                {
                    return Seek(fd, IntPtr.Zero, 1 /* SEEK_CUR */).ToInt64() < 0;
                }
                finally
                {
                    Close(fd);
                }
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return false;
            }
        }
    }
}
