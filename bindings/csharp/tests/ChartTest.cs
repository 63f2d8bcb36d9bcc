// Test program for DrumscribeChart.cs (see tests/bindings/bindings_harness.py for the protocol):
// for each chart file given, "OK\t<name>\t<summary>" or "ERR\t<name>\t<kind>\t<message>";
// then "CHECK\t<name>\tPASS|FAIL\t<detail>" lines for API details.
//
//   mcs -langversion:7.2 -out:ChartTest.exe DrumscribeChart.cs tests/ChartTest.cs && mono ChartTest.exe FILE...

using System;
using System.Globalization;
using System.IO;
using System.Text;
using Drumscribe;

static class ChartTest
{
    static string F(double x) { return x.ToString("R", CultureInfo.InvariantCulture); }

    static string Summary(Chart c)
    {
        var sb = new StringBuilder("lanes=");
        for (int i = 0; i < c.Lanes.Length; i++)
            sb.Append(i > 0 ? "," : "").Append(c.Lanes[i].Name).Append(':').Append(c.Lanes[i].GmNote);
        sb.Append(" duration=").Append(F(c.DurationS));
        double t = 0, bpm = 0, beat = 0;
        foreach (TempoSegment s in c.TempoMap) { t += s.Time; bpm += s.Bpm; beat += s.Beat; }
        sb.Append(" tempo=").Append(c.TempoMap.Length).Append(';').Append(F(t)).Append(';').Append(F(bpm)).Append(';').Append(F(beat));
        double bt = 0; int down = 0;
        foreach (Beat b in c.Beats) { bt += b.Time; if (b.Downbeat) down++; }
        sb.Append(" beats=").Append(c.Beats.Length).Append(';').Append(down).Append(';').Append(F(bt));
        foreach (string name in ChartLoader.DifficultyNames)
        {
            Track track = c.Difficulties.Get(name);
            sb.Append(' ').Append(name).Append('=');
            if (track == null) { sb.Append('-'); continue; }
            Hit[] h = track.Hits;
            double ht = 0; long lanes = 0, vels = 0;
            foreach (Hit x in h) { ht += x.Time; lanes += x.Lane; vels += x.Velocity; }
            sb.Append(h.Length).Append(';').Append(F(ht)).Append(';').Append(lanes).Append(';').Append(vels);
            sb.Append(';').Append(h.Length > 0 ? One(h[0]) : "none").Append(';').Append(h.Length > 0 ? One(h[h.Length - 1]) : "none");
        }
        return sb.ToString();
    }

    static string One(Hit h) { return F(h.Time) + "," + h.Lane + "," + h.Velocity; }

    static void Check(string name, Func<string> fn)
    {
        string outcome;
        try { outcome = fn(); }
        catch (Exception e) { outcome = "threw " + e.GetType().Name + ": " + e.Message; }
        Console.WriteLine("CHECK\t" + name + "\t" + (outcome == null ? "PASS\t" : "FAIL\t" + outcome));
    }

    static ChartException ErrorOf(Action fn)
    {
        try { fn(); } catch (ChartException e) { return e; }
        return null;
    }

    const string OneHit = "{\"format\":\"drumscribe-chart\",\"version\":1,\"lanes\":[" +
        "{\"index\":0,\"name\":\"kick\",\"gm_note\":36},{\"index\":1,\"name\":\"snare\",\"gm_note\":38}," +
        "{\"index\":2,\"name\":\"hihat\",\"gm_note\":42},{\"index\":3,\"name\":\"hi_tom\",\"gm_note\":50}," +
        "{\"index\":4,\"name\":\"mid_tom\",\"gm_note\":47},{\"index\":5,\"name\":\"low_tom\",\"gm_note\":45}," +
        "{\"index\":6,\"name\":\"crash\",\"gm_note\":49},{\"index\":7,\"name\":\"ride\",\"gm_note\":51}]," +
        "\"duration_s\":1,\"tempo_map\":[{\"time_s\":0,\"bpm\":120,\"beat\":0}],\"beats\":[]," +
        "\"difficulties\":{\"expert\":{\"hits\":[{\"time_s\":0.5,\"lane\":1,\"velocity\":100}]}}}";

    static int Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        string firstValid = null, unsorted = null;
        foreach (string file in args)
        {
            string name = Path.GetFileName(file);
            if (name == "unsorted_hits.json") unsorted = file;
            try
            {
                Chart c = ChartLoader.Load(file);
                Console.WriteLine("OK\t" + name + "\t" + Summary(c));
                if (firstValid == null) firstValid = file;
            }
            catch (ChartException e)
            {
                Console.WriteLine("ERR\t" + name + "\t" + e.KindName + "\t" + e.Message.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' '));
            }
        }
        Check("parse_text", () =>
        {
            Chart c = ChartLoader.Parse(OneHit);
            Hit[] h = c.Difficulties.Expert.Hits;
            bool ok = h.Length == 1 && h[0].Time == 0.5 && h[0].Lane == 1 && h[0].Velocity == 100
                && c.Lanes[2].Name == "hihat" && c.Lanes[7].GmNote == 51 && c.Difficulties.Hard == null
                && c.TempoMap[0].Bpm == 120 && c.DurationS == 1;
            return ok ? null : "wrong values";
        });
        Check("parse_text_with_bom", () => ChartLoader.Parse("\uFEFF" + OneHit).DurationS == 1 ? null : "wrong");
        Check("parse_bytes_with_bom", () =>
        {
            byte[] body = Encoding.UTF8.GetBytes(OneHit);
            byte[] bytes = new byte[body.Length + 3];
            bytes[0] = 0xEF; bytes[1] = 0xBB; bytes[2] = 0xBF;
            Array.Copy(body, 0, bytes, 3, body.Length);
            return ChartLoader.Parse(bytes).Lanes.Length == 8 ? null : "wrong";
        });
        Check("missing_file_is_io_error", () =>
        {
            ChartException e = ErrorOf(() => ChartLoader.Load("/nonexistent/dir/chart.json"));
            return e != null && e.Kind == ChartErrorKind.Io && e.KindName == "io" ? null : "got " + (e == null ? "no error" : e.KindName);
        });
        Check("error_fields", () =>
        {
            ChartException e = ErrorOf(() => ChartLoader.Parse(OneHit.Replace("\"lane\":1", "\"lane\":9")));
            return e != null && e.Kind == ChartErrorKind.Range && e.Path == "difficulties.expert.hits[0].lane"
                && e.Message.StartsWith("difficulties.expert.hits[0].lane: ") ? null : "got " + (e == null ? "none" : e.Message);
        });
        Check("file_error_names_the_file", () =>
        {
            if (unsorted == null) return "no unsorted_hits fixture given";
            ChartException e = ErrorOf(() => ChartLoader.Load(unsorted));
            return e != null && e.Message.Contains(unsorted) ? null : "message " + (e == null ? "none" : e.Message);
        });
        Check("invariant_culture", () =>
        {
            var saved = System.Threading.Thread.CurrentThread.CurrentCulture;
            System.Threading.Thread.CurrentThread.CurrentCulture = new CultureInfo("de-DE");
            try { return ChartLoader.Parse(OneHit).Difficulties.Expert.Hits[0].Time == 0.5 ? null : "culture changed the number"; }
            finally { System.Threading.Thread.CurrentThread.CurrentCulture = saved; }
        });
        Check("strict_json", () =>
        {
            string[] bad = { "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "-", "1e", "NaN", "[1] x",
                "\"\\x\"", "\"\\u12\"", "\"a\tb\"", "{'a':1}", "{\"a\" 1}", "tru", "[1 2]", "{\"a\":1,\"a\":2}",
                new string('[', 65) + new string(']', 65), new string('[', 1000000) };
            foreach (string text in bad)
            {
                ChartException e = ErrorOf(() => ChartLoader.Parse(text));
                if (e == null || e.Kind != ChartErrorKind.Parse) return "accepted or wrong kind: " + (text.Length > 20 ? text.Substring(0, 20) : text);
            }
            ChartException deep = ErrorOf(() => ChartLoader.Parse(new string('[', 64) + new string(']', 64)));
            return deep != null && deep.Kind == ChartErrorKind.Type ? null : "depth 64 should parse (then fail as not an object)";
        });
        Check("bytes_equal_text", () =>
        {
            if (firstValid == null) return "no valid fixture";
            string a = Summary(ChartLoader.Parse(File.ReadAllBytes(firstValid)));
            string b = Summary(ChartLoader.Parse(File.ReadAllText(firstValid, Encoding.UTF8)));
            return a == b ? null : "differ";
        });
        return 0;
    }
}
