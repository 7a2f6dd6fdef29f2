//! The Python server behind the answer, named only from evidence seen in
//! this run: the Server header, or the port holder's command line.

use super::observe::Observation;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Gunicorn,
    Uvicorn,
    Hypercorn,
    Daphne,
}

impl Stack {
    pub fn name(self) -> &'static str {
        match self {
            Stack::Gunicorn => "gunicorn",
            Stack::Uvicorn => "uvicorn",
            Stack::Hypercorn => "hypercorn",
            Stack::Daphne => "daphne",
        }
    }

    /// The server the evidence names: the Server header first (it is what
    /// answered), then the port holder's command line.
    pub fn of(seen: &Observation) -> Option<Stack> {
        seen.server
            .as_deref()
            .and_then(Stack::named)
            .or_else(|| seen.holder.as_deref().and_then(Stack::named))
    }

    /// The server a Server header or a command line names.
    pub fn named(text: &str) -> Option<Stack> {
        let text = text.to_ascii_lowercase();
        [
            Stack::Gunicorn,
            Stack::Uvicorn,
            Stack::Hypercorn,
            Stack::Daphne,
        ]
        .into_iter()
        .find(|k| text.contains(k.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(server: Option<&str>, holder: Option<&str>) -> Observation {
        Observation {
            evidence: Vec::new(),
            server: server.map(str::to_owned),
            holder: holder.map(str::to_owned),
            path: "/socket.io/".into(),
            upgraded: Ok(1),
            only: None,
        }
    }

    #[test]
    fn the_server_header_names_the_stack() {
        assert_eq!(
            Stack::of(&seen(Some("uvicorn"), None)),
            Some(Stack::Uvicorn)
        );
        assert_eq!(
            Stack::of(&seen(Some("gunicorn"), None)),
            Some(Stack::Gunicorn)
        );
        assert_eq!(
            Stack::of(&seen(Some("hypercorn-h11"), None)),
            Some(Stack::Hypercorn)
        );
        assert_eq!(Stack::of(&seen(Some("Daphne"), None)), Some(Stack::Daphne));
    }

    #[test]
    fn the_holders_command_line_names_the_stack_when_the_header_does_not() {
        let cmd = "/srv/venv/bin/python /srv/venv/bin/gunicorn -b 0.0.0.0:8000 app:app";
        assert_eq!(Stack::of(&seen(None, Some(cmd))), Some(Stack::Gunicorn));
        let cmd = "python -m uvicorn main:app --port 8000";
        assert_eq!(
            Stack::of(&seen(Some("Python/3.11 aiohttp/3.9"), Some(cmd))),
            Some(Stack::Uvicorn)
        );
    }

    fn dev(holder: &str) -> Option<DevServer> {
        DevServer::of(&seen(None, Some(holder)))
    }

    #[test]
    fn the_holders_command_line_names_the_dev_server() {
        assert_eq!(
            dev("node /app/node_modules/.bin/vite --port 5173"),
            Some(DevServer::Vite)
        );
        assert_eq!(
            dev("node /app/node_modules/vite/bin/vite.js"),
            Some(DevServer::Vite)
        );
        assert_eq!(
            dev("node /app/node_modules/.bin/webpack serve --mode development"),
            Some(DevServer::Webpack)
        );
        assert_eq!(
            dev("node /app/node_modules/.bin/webpack-dev-server"),
            Some(DevServer::Webpack)
        );
        assert_eq!(
            dev("node /app/node_modules/react-scripts/scripts/start.js"),
            None,
            "the start script alone does not say react-scripts"
        );
        assert_eq!(
            dev("node /app/node_modules/.bin/react-scripts start"),
            Some(DevServer::CreateReactApp)
        );
        assert_eq!(
            dev("ng serve --proxy-config proxy.conf.json"),
            Some(DevServer::Angular)
        );
        assert_eq!(
            dev("node /app/node_modules/.bin/next dev"),
            Some(DevServer::Next)
        );
        assert_eq!(dev("node server.js"), None);
        assert_eq!(dev("node /app/node_modules/.bin/next start"), None);
        assert_eq!(
            DevServer::of(&seen(Some("vite"), None)),
            None,
            "only the holder names it"
        );
    }

    #[test]
    fn no_evidence_names_nothing() {
        assert_eq!(Stack::of(&seen(None, None)), None);
        assert_eq!(
            Stack::of(&seen(
                Some("Python/3.11 aiohttp/3.14.5"),
                Some("python app.py")
            )),
            None
        );
    }
}

/// A development server whose proxy forwards the app's requests, named from
/// the port holder's command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevServer {
    Vite,
    Webpack,
    CreateReactApp,
    Angular,
    Next,
}

impl DevServer {
    pub fn name(self) -> &'static str {
        match self {
            DevServer::Vite => "Vite",
            DevServer::Webpack => "webpack-dev-server",
            DevServer::CreateReactApp => "Create React App",
            DevServer::Angular => "ng serve",
            DevServer::Next => "next dev",
        }
    }

    pub fn of(seen: &Observation) -> Option<DevServer> {
        DevServer::named(seen.holder.as_deref()?)
    }

    /// The dev server a command line runs.
    pub fn named(holder: &str) -> Option<DevServer> {
        let words: Vec<&str> = holder.split_whitespace().collect();
        let base = |w: &&str| w.rsplit('/').next().unwrap_or(w).to_ascii_lowercase();
        let names: Vec<String> = words.iter().map(base).collect();
        let has = |n: &str| names.iter().any(|w| w == n);
        if has("react-scripts") || has("react-scripts.js") || has("craco") {
            Some(DevServer::CreateReactApp)
        } else if has("vite") || has("vite.js") {
            Some(DevServer::Vite)
        } else if has("webpack-dev-server")
            || ((has("webpack") || has("webpack.js") || has("webpack-cli")) && has("serve"))
        {
            Some(DevServer::Webpack)
        } else if (has("ng") || has("ng.js")) && has("serve") {
            Some(DevServer::Angular)
        } else if has("next") && has("dev") {
            Some(DevServer::Next)
        } else {
            None
        }
    }
}
