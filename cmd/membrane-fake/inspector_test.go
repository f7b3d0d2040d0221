package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/color/palette"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// updateScreenshot rewrites the README's picture of the inspector, docs/inspector.png.
var updateScreenshot = flag.Bool("update-screenshot", false, "write docs/inspector.png from the browser test")

// findBrowser returns the path of a Chromium. Without one the test is skipped, except in CI
// (CI=true), where a missing browser is a failure.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium on PATH: CI must install it (apt-get install chromium)")
	}
	t.Skip("no Chromium on PATH: the inspector's browser test needs one")
	return ""
}

// adminClient calls the binary's APIs as a test script would.
type adminClient struct {
	t     *testing.T
	base  string
	token string
}

func (c adminClient) call(method, path, body string) (int, string) {
	c.t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, string(b)
}

func (c adminClient) ok(method, path, body string) map[string]any {
	c.t.Helper()
	status, raw := c.call(method, path, body)
	require.Equal(c.t, http.StatusOK, status, "%s %s: %s", method, path, raw)
	var out map[string]any
	require.NoError(c.t, json.Unmarshal([]byte(raw), &out))
	return out
}

// TestInspectorInBrowser drives the inspector page of the binary in headless Chromium: what
// the API changes shows up without a reload, faults are added and counted, the journal is
// live, a secret shows only on purpose, and a reset empties an org.
func TestInspectorInBrowser(t *testing.T) {
	t.Parallel()
	chromePath := findBrowser(t)
	bin := buildBinary(t)
	p := startProcess(t, bin, "--instances", "eu")
	hubURL, orgID := p.line["hubUrl"].(string), p.line["orgId"].(string)
	adminToken, uiURL := p.line["adminToken"].(string), p.line["uiUrl"].(string)
	page, fragment, _ := strings.Cut(uiURL, "#")
	require.Equal(t, hubURL+"/_fake/ui", page, "the token is not in the URL the browser sends")
	require.Equal(t, "token="+adminToken, fragment)
	api := adminClient{t: t, base: hubURL, token: adminToken}
	shots := t.TempDir()
	t.Logf("screenshots in %s", shots)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromePath), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		t.Log(what)
		require.NoError(t, chromedp.Do(tab, steps...), what)
	}
	until := func(what, js string) {
		t.Helper()
		t.Log("until " + what)
		_, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second),
			chromedp.WithPollingInterval(50*time.Millisecond)))
		require.NoError(t, err, "waiting until %s", what)
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		require.NoError(t, err)
		return s
	}
	shot := func(name string, sel chromedp.CSS) {
		t.Helper()
		var b []byte
		var err error
		if sel == "" {
			b, err = chromedp.Run(tab, chromedp.CaptureScreenshot())
		} else {
			b, err = chromedp.Run(tab, chromedp.Screenshot(sel))
		}
		require.NoError(t, err, "screenshot %s", name)
		require.NoError(t, os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644))
	}
	html := func() string { return text(`document.documentElement.outerHTML`) }

	// Signed in by the uiUrl: the token leaves the address bar at once.
	do("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(uiURL))
	until("the default org shows", `document.getElementById("org-`+orgID+`") !== null`)
	loc, err := chromedp.Run(tab, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, hubURL+"/_fake/ui", loc)

	// A workspace created through the API shows without a reload, with a customer.
	ws := api.ok("POST", "/org-workspaces", `{"orgId": "`+orgID+`", "name": "Browser shop", "membraneInstanceId": "eu"}`)
	wsID, secret := ws["id"].(string), ws["secret"].(string)
	api.ok("PATCH", "/org-workspaces/"+wsID, `{"webhookUri": "https://shop.example/hook", "settings": {"enableApiLogs": true}}`)
	wsToken := api.ok("POST", "/org-workspaces/"+wsID+"/access-token", `{"isAdmin": true}`)["token"].(string)
	custAPI := adminClient{t: t, base: ws["apiBaseUri"].(string), token: wsToken}
	custAPI.ok("POST", "/customers", `{"name": "Jane Doe", "internalId": "jane", "credentials": {"apiKey": "jane-credential-123"}}`)
	until("the new workspace shows", `(document.getElementById("ws-`+wsID+`") || {}).textContent?.includes("Browser shop")`)
	until("its customer and webhook show", `document.getElementById("ws-`+wsID+`").textContent.includes("1 customer") &&
		document.getElementById("ws-`+wsID+`").textContent.includes("https://shop.example/hook")`)
	until("eu counts it", `document.getElementById("instance-eu").textContent.includes("in agreement") &&
		document.querySelector("#instance-eu td[data-label=Workspaces]").textContent === "1"`)

	// A fault added with the form is listed, fires on the next call, and its count goes up.
	do("fill the fault form",
		chromedp.SetValue(chromedp.CSS("#fault-method"), "GET"),
		chromedp.SetValue(chromedp.CSS("#fault-path"), "/org-workspaces/*"),
		chromedp.SetValue(chromedp.CSS("#fault-status"), "503"),
		chromedp.SetValue(chromedp.CSS("#fault-retry-after"), "7"),
		chromedp.SetValue(chromedp.CSS("#fault-times"), "1"),
		chromedp.Click(chromedp.CSS("#fault-add")))
	until("the fault is listed", `document.querySelector("#fault-fault-1 .fired")?.textContent === "0"`)
	assert.Contains(t, text(`document.getElementById("fault-fault-1").textContent`), "503 (Retry-After 7)")
	status, _ := api.call("GET", "/org-workspaces/"+wsID, "")
	assert.Equal(t, http.StatusServiceUnavailable, status, "the fault fires")
	until("the fault's count goes up", `document.querySelector("#fault-fault-1 .fired")?.textContent === "1"`)

	// The journal shows that call, live, and its filters work.
	call := `[...document.querySelectorAll("#journal-rows tr")].some(r => r.textContent.includes("GET /org-workspaces/` + wsID + `") && r.textContent.includes("503") && r.textContent.includes("fault-1"))`
	until("the journal shows the faulted call", call)
	newestFirst := text(`(() => {
		const seqs = [...document.querySelectorAll("#journal-rows tr")].map(r => Number(r.dataset.seq));
		return String(seqs.length > 3 && seqs.every((s, i) => i === 0 || seqs[i-1] > s));
	})()`)
	assert.Equal(t, "true", newestFirst, "the journal shows the newest first")
	filter := func(id, value string) { // as a user does: set the field, which fires its change event
		t.Helper()
		do("filter the journal: "+id+"="+value, chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.getElementById("`+id+`");
			f.value = "`+value+`";
			f.dispatchEvent(new Event("change", {bubbles: true}));
		})()`))
	}
	rows := `[...document.querySelectorAll("#journal-rows tr")].map(r => r.textContent)`
	filter("filter-method", "POST")
	until("only POSTs show", rows+`.length > 1 && `+rows+`.every(r => r.includes("POST /"))`)
	filter("filter-method", "")
	filter("filter-status", "2")
	until("only the answered calls show", rows+`.length > 1 && !(`+call+`)`)
	filter("filter-status", "5")
	until("the class 5 shows only the faulted call", rows+`.length === 1 && `+call)
	filter("filter-status", "503")
	until("only the faulted call shows", rows+`.length === 1 && `+call)

	// Nothing shows a token, a secret or a credential until the click.
	for _, view := range []string{html(), text(`document.getElementById("journal").textContent`)} {
		for _, hidden := range []string{adminToken, wsToken, secret, "jane-credential-123"} {
			assert.NotContains(t, view, hidden)
		}
	}
	for _, path := range []string{"/_fake/ui", "/_fake/ui/app.js", "/_fake/ui/overview.js", "/_fake/ui/app.css",
		"/_fake/inspect", "/_fake/journal", "/_fake/faults"} {
		_, body := api.call("GET", path, "")
		for _, hidden := range []string{adminToken, wsToken, secret, "jane-credential-123"} {
			assert.NotContains(t, body, hidden, path)
		}
	}

	// The sticky header would cover the top of each section's picture.
	do("unstick the header", chromedp.Evaluate[chromedp.Void](`document.querySelector(".top").style.position = "static"`))
	for _, s := range []struct {
		name string
		sel  chromedp.CSS
	}{{"instances", "#instances"}, {"orgs", "#orgs"}, {"faults", "#faults"}, {"journal", "#journal"}} {
		shot(s.name, s.sel)
	}
	do("stick the header", chromedp.Evaluate[chromedp.Void](`document.querySelector(".top").style.position = ""`))
	shot("page-1280x800", "")
	if *updateScreenshot {
		filter("filter-status", "")
		until("the journal shows every call", rows+`.length > 3`)
		do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		until("the new rows stop glowing", `document.getAnimations().length === 0`)
		b, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		b = smallPNG(t, b)
		require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", "inspector.png"), b, 0o644))
	}

	// The secret shows after the click, and hides again.
	do("reveal the secret with the keyboard", chromedp.Focus(chromedp.CSS("#reveal-"+wsID)), chromedp.KeyEvent("\r"))
	until("the secret shows, and the focus is on Hide", `document.getElementById("secret-`+wsID+`")?.textContent === "`+secret+`" &&
		document.activeElement.id === "hide-`+wsID+`"`)
	shot("secret", chromedp.CSS("#ws-"+wsID))
	do("hide the secret", chromedp.KeyEvent("\r"))
	until("the secret hides, and the focus is back on Reveal", `document.getElementById("secret-`+wsID+`") === null &&
		document.activeElement.id === "reveal-`+wsID+`"`)
	assert.NotContains(t, html(), secret)

	// Readable at 400px wide.
	do("narrow the window", chromedp.EmulateViewport(400, 800))
	until("the layout follows", `document.documentElement.scrollWidth <= 400`)
	shot("page-400", "")
	do("widen the window", chromedp.EmulateViewport(1280, 800))

	// The snapshot downloads as a file: the whole state, tokens and secrets included.
	downloads := t.TempDir()
	progress := chromedp.Events(tab, browser.DownloadProgress)
	do("download the snapshot", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true)})
		return err
	}), chromedp.Click(chromedp.CSS("#download-state")))
	for ev, err := range progress {
		require.NoError(t, err, "waiting for the download")
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		b, err := os.ReadFile(filepath.Join(downloads, ev.GUID))
		require.NoError(t, err)
		var snap struct {
			AdminToken string `json:"adminToken"`
			Orgs       []struct {
				Workspaces []struct {
					ID     string `json:"id"`
					Secret string `json:"secret"`
				} `json:"workspaces"`
			} `json:"orgs"`
		}
		require.NoError(t, json.Unmarshal(b, &snap), "the snapshot: %s", b)
		assert.Equal(t, adminToken, snap.AdminToken)
		require.NotEmpty(t, snap.Orgs)
		require.Len(t, snap.Orgs[0].Workspaces, 1)
		assert.Equal(t, wsID, snap.Orgs[0].Workspaces[0].ID)
		assert.Equal(t, secret, snap.Orgs[0].Workspaces[0].Secret)
		break
	}

	// A reset of the org empties it, after a confirmation.
	do("reset the org", chromedp.Click(chromedp.CSS("#reset-org-"+orgID)), chromedp.WaitVisible(chromedp.CSS("#confirm")))
	shot("reset-dialog", "")
	do("confirm", chromedp.Click(chromedp.CSS("#confirm-ok")))
	until("the org is empty", `document.getElementById("org-empty-`+orgID+`") !== null`)
	list := api.ok("GET", "/org-workspaces?orgId="+orgID, "")
	assert.Empty(t, list["items"])

	// Without the token, the page asks for it; a wrong one is refused.
	fresh, cancelFresh := chromedp.NewContext(tab)
	defer cancelFresh()
	tab = fresh
	do("open the page without a token", chromedp.Navigate(hubURL+"/_fake/ui"), chromedp.WaitVisible(chromedp.CSS("#signin-token")))
	shot("sign-in", "")
	do("sign in wrong", chromedp.SendKeys(chromedp.CSS("#signin-token"), "pat-wrong"), chromedp.Click(chromedp.CSS("#signin-submit")))
	until("the wrong token is refused", `document.getElementById("signin-error").textContent.includes("not the admin token")`)
	do("sign in with the keyboard", chromedp.SendKeys(chromedp.CSS("#signin-token"), adminToken+"\r"))
	until("the page shows", `document.getElementById("org-`+orgID+`") !== null`)
	assert.NotContains(t, html(), adminToken)

	// None of the page's own requests is in the journal.
	var journal struct {
		Items []struct {
			Path string `json:"path"`
		} `json:"items"`
	}
	_, raw := api.call("GET", "/_fake/journal", "")
	require.NoError(t, json.Unmarshal([]byte(raw), &journal))
	require.NotEmpty(t, journal.Items)
	for _, e := range journal.Items {
		assert.False(t, strings.HasPrefix(e.Path, "/_fake") || e.Path == "/favicon.ico", "the journal holds the page's request for %s", e.Path)
	}
}

// smallPNG redraws a screenshot in 256 colors, which keeps the README's picture small.
func smallPNG(t *testing.T, b []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	pal := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(pal, pal.Rect, img, img.Bounds().Min, draw.Src)
	var out bytes.Buffer
	require.NoError(t, (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, pal))
	return out.Bytes()
}
