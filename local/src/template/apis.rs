//! The template's APIs: the HTTP API's CORS configuration and default Lambda authorizer,
//! and the WebSocket API with its stage and each route's function.

use serde_yaml::Value;

use super::{intrinsics::references, Template};

/// The WebSocket API (`AWS::ApiGatewayV2::Api`, protocol WEBSOCKET) and its routes.
#[derive(Debug, Clone)]
pub struct WebSocketApi {
    /// E.g. `$request.body.action`.
    pub selection_expression: String,
    pub stage: String,
    pub routes: Vec<WebSocketRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketRoute {
    /// `$connect`, `$disconnect`, `$default` or a value of the selection expression.
    pub key: String,
    pub binary: String,
    /// Whether the function's answer goes back on the socket (a route response exists).
    pub responds: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
}

impl Template {
    fn http_api(&self) -> Option<&Value> {
        self.of_type("AWS::Serverless::HttpApi")
            .first()
            .map(|(_, r)| *r)
    }

    pub(super) fn has_default_authorizer(&self) -> bool {
        self.http_api()
            .map(|a| a["Properties"]["Auth"]["DefaultAuthorizer"].is_string())
            .unwrap_or(false)
    }

    /// The authorizer's `ReauthorizeEvery` (seconds its answers are cached per identity
    /// source; 0 = no cache). API Gateway's default is 300.
    pub fn authorizer_ttl_secs(&self) -> u64 {
        let Some(api) = self.http_api().map(|a| &a["Properties"]["Auth"]) else {
            return 0;
        };
        let name = api["DefaultAuthorizer"].as_str().unwrap_or_default();
        api["Authorizers"][name]["Identity"]["ReauthorizeEvery"]
            .as_u64()
            .unwrap_or(300)
    }

    /// The binary of the HTTP API's default Lambda authorizer.
    pub fn authorizer_binary(&self) -> Option<String> {
        let api = &self.http_api()?["Properties"]["Auth"];
        let name = api["DefaultAuthorizer"].as_str()?;
        let arn = &api["Authorizers"][name]["FunctionArn"];
        let target = self
            .getatt_target(arn)
            .or_else(|| references(arn).into_iter().next())?;
        self.resource(&target)?["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .map(str::to_string)
    }

    pub fn cors(&self) -> Option<Cors> {
        let c = &self.http_api()?["Properties"]["CorsConfiguration"];
        if c.is_null() {
            return None;
        }
        let list = |v: &Value| -> Vec<String> {
            v.as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|x| self.resolve(x).ok())
                .collect()
        };
        Some(Cors {
            allow_origins: list(&c["AllowOrigins"]),
            allow_methods: list(&c["AllowMethods"]),
            allow_headers: list(&c["AllowHeaders"]),
            expose_headers: list(&c["ExposeHeaders"]),
            max_age: c["MaxAge"].as_u64(),
        })
    }

    /// The WebSocket API, its stage, and each route's function (route → integration →
    /// the function named in the integration's URI).
    pub fn websocket_api(&self) -> Option<WebSocketApi> {
        let (api, props) = self
            .of_type("AWS::ApiGatewayV2::Api")
            .into_iter()
            .find(|(_, r)| r["Properties"]["ProtocolType"].as_str() == Some("WEBSOCKET"))
            .map(|(l, r)| (l.to_string(), &r["Properties"]))?;
        let of_api =
            |r: &Value| self.ref_target(&r["Properties"]["ApiId"]).as_deref() == Some(&api);
        let stage = self
            .of_type("AWS::ApiGatewayV2::Stage")
            .into_iter()
            .find(|(_, r)| of_api(r))
            .and_then(|(_, r)| self.resolve(&r["Properties"]["StageName"]).ok())
            .unwrap_or_else(|| "$default".into());
        let routes = self
            .of_type("AWS::ApiGatewayV2::Route")
            .into_iter()
            .filter(|(_, r)| of_api(r))
            .filter_map(|(_, r)| {
                let p = &r["Properties"];
                let integration = references(&p["Target"])
                    .into_iter()
                    .find(|l| self.resource(l).is_some())?;
                let uri = &self.resource(&integration)?["Properties"]["IntegrationUri"];
                let binary = references(uri).into_iter().find_map(|l| {
                    self.resource(&l)?["Metadata"]["BuildProperties"]["Binary"]
                        .as_str()
                        .map(str::to_string)
                })?;
                Some(WebSocketRoute {
                    key: p["RouteKey"].as_str()?.to_string(),
                    binary,
                    responds: p["RouteResponseSelectionExpression"].is_string(),
                })
            })
            .collect();
        Some(WebSocketApi {
            selection_expression: props["RouteSelectionExpression"]
                .as_str()
                .unwrap_or("$request.body.action")
                .to_string(),
            stage,
            routes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_api_routes_reach_their_functions() {
        let path = crate::workspace_root().join("template.yaml");
        let t = Template::load(&path).unwrap();
        let api = t
            .websocket_api()
            .expect("template.yaml has a WebSocket API");
        assert_eq!(api.selection_expression, "$request.body.action");
        assert_eq!(api.stage, "ws");
        let route = |key: &str| {
            api.routes
                .iter()
                .find(|r| r.key == key)
                .unwrap_or_else(|| panic!("no route {key}"))
                .clone()
        };
        assert_eq!(route("$connect").binary, "notifications-connect");
        assert!(!route("$connect").responds);
        assert_eq!(route("$disconnect").binary, "notifications-disconnect");
        assert_eq!(route("$default").binary, "notifications-default");
        assert!(route("$default").responds);
        let env = t.environment().unwrap();
        assert_eq!(
            env["WEBSOCKET_API_ENDPOINT"],
            "https://WebSocketApi.execute-api.us-east-1.amazonaws.com/ws"
        );
    }
}
