// The agent's page: reads the read-only JSON API every 5 s and renders it.
// Served as a file (never inline) so the CSP needs no 'unsafe-inline'.
function esc(s){return String(s??"").replace(/[&<>"']/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]))}
async function get(p){const r=await fetch(p);if(!r.ok)throw new Error(p+": "+r.status);return r.json()}
const mark={healthy:"ok",failing:"FAIL",degraded:"1-way",pending:"…",unknown:"?"};

function renderMatrix(m){
  if(!m.cells||m.cells.length===0){return}
  const cell={};for(const c of m.cells){cell[c.path+"|"+c.from+"|"+c.to]=c}
  let h="";
  for(const p of m.paths){
    h+=`<table class="grid"><caption><b>${esc(p)}</b></caption><tr><th>from \\ to</th>${m.nodes.map(n=>`<th>${esc(n)}</th>`).join("")}</tr>`;
    for(const f of m.nodes){
      h+=`<tr><th>${esc(f)}</th>`+m.nodes.map(t=>{const c=cell[p+"|"+f+"|"+t];
        if(!c)return "<td>-</td>";
        return `<td class="${esc(c.state)}" title="${esc(c.cause)} ${esc(c.message)}">${esc(mark[c.state]??c.state)}</td>`}).join("")+"</tr>";
    }
    h+="</table>";
  }
  document.getElementById("matrix").innerHTML=h;
  document.getElementById("verdict").innerHTML=`verdict: <span class="${esc(m.verdict)}">${esc(m.verdict)}</span>`;
  const lines=(m.broken??[]).map(b=>`<li>${esc(b)}</li>`);
  for(const [n,why] of Object.entries(m.unanswered??{}))lines.push(`<li>no answer from ${esc(n)}: ${esc(why)}</li>`);
  document.getElementById("broken").innerHTML=lines.join("");
}

function renderChecks(cs){
  document.getElementById("rows").innerHTML=cs.map(c=>{
    const r=c.status.lastResult, ready=c.status.conditions.find(x=>x.type==="Ready");
    const cls=!r?"unk":(r.passed?"pass":"fail");
    return `<tr><td>${esc(c.metadata.name)}</td><td>${esc(c.spec.link.destination)}</td><td>${esc(c.spec.link.path)}</td>
    <td>${esc(c.spec.spec.kind)}</td><td class="${cls}">${!r?"pending":(r.passed?"PASS":"FAIL")}</td>
    <td>${esc(r?.cause)}</td><td>${esc(r?.message)}</td><td>${esc(ready?.lastTransitionTime)}</td></tr>`}).join("");
}

function renderAlerts(a){
  if(!a.enabled){document.getElementById("alerts").innerHTML="<small>alerting is not enabled on this agent</small>";return}
  if(!a.items.length){document.getElementById("alerts").innerHTML="<small>no alert is firing</small>";return}
  document.getElementById("alerts").innerHTML="<table><tr><th>alert</th><th>source</th><th>destination</th><th>path</th><th>cause</th><th>summary</th><th>since</th></tr>"+
    a.items.map(x=>`<tr><td class="failing">${esc(x.alertname)}</td><td>${esc(x.source)}</td><td>${esc(x.destination)}</td><td>${esc(x.path)}</td><td>${esc(x.cause)}</td><td>${esc(x.summary)}</td><td>${esc(x.starts_at)}</td></tr>`).join("")+"</table>";
}

function renderReports(r){
  if(!r.items?.length)return;
  document.getElementById("reports").innerHTML="<ul>"+r.items.slice(0,10).map(m=>
    `<li><a href="/api/v1/reports/${encodeURIComponent(m.id)}?format=html">${esc(m.id)}</a> — ${esc(m.summary_text??"")}</li>`).join("")+"</ul>";
}

async function refresh(){
  try{
    const st=await get("/api/v1/status");
    document.getElementById("who").textContent=st.name+" · "+st.version;
    document.getElementById("cfg").textContent="config "+(st.config?.file??"")+(st.config&&!st.config.successful?" — last reload FAILED: "+st.config.error:"");
    const store=(st.conditions??[]).find(c=>c.type==="Storage"&&c.status==="False");
    if(store)document.getElementById("cfg").textContent+=" — history store FAILING since "+store.lastTransitionTime+": "+store.message;
    renderChecks((await get("/api/v1/checks")).items);
    renderAlerts(await get("/api/v1/alerts"));
    renderReports(await get("/api/v1/reports"));
    renderMatrix(await get("/api/v1/matrix"));
  }catch(e){document.getElementById("cfg").textContent="agent unreachable: "+e.message}
}
refresh();setInterval(refresh,5000);
