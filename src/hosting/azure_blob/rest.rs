//! The Blob service REST calls of the `azure-blob` publisher: the container's and the static
//! website's state, creating them, uploading a document and reading one back, each request
//! signed with Shared Key (learn.microsoft.com/rest/api/storageservices).

use super::*;

impl AzureBlobPublisher {
    pub(super) async fn state(&self) -> Result<BlobState, HostingError> {
        let static_website = match self.hosting.mode {
            BlobMode::StaticWebsite => Some(self.static_website_enabled().await?),
            BlobMode::PublicContainer(_) => None,
        };
        let container = self.container_access().await?;
        let (discovery, jwks) = match container {
            ContainerAccess::Missing => (None, None),
            _ => tokio::try_join!(
                self.get_blob(self.blob_url(DISCOVERY_BLOB)),
                self.get_blob(self.blob_url(JWKS_BLOB))
            )?,
        };
        Ok(BlobState {
            container,
            static_website,
            discovery,
            jwks,
        })
    }

    pub(super) async fn container_access(&self) -> Result<ContainerAccess, HostingError> {
        let what = format!("reading container {}", self.container());
        let answer = self
            .send(
                Method::GET,
                self.container_url("restype=container"),
                Vec::new(),
                Vec::new(),
                &what,
            )
            .await?;
        match answer.status {
            StatusCode::NOT_FOUND => Ok(ContainerAccess::Missing),
            status if status.is_success() => match answer.header("x-ms-blob-public-access") {
                Some("blob" | "container") => Ok(ContainerAccess::Public),
                _ => Ok(ContainerAccess::Private),
            },
            _ => Err(storage_error(&what, &answer)),
        }
    }

    pub(super) async fn static_website_enabled(&self) -> Result<bool, HostingError> {
        let what = format!(
            "reading the service properties of storage account {}",
            self.endpoint.account()
        );
        let url = self.at("?restype=service&comp=properties");
        let answer = self
            .expect(
                Method::GET,
                url,
                Vec::new(),
                Vec::new(),
                &what,
                &[StatusCode::OK],
            )
            .await?;
        let text = answer.text();
        let website = text
            .split("<StaticWebsite>")
            .nth(1)
            .and_then(|rest| rest.split("</StaticWebsite>").next());
        Ok(website.is_some_and(|website| website.contains("<Enabled>true</Enabled>")))
    }

    pub(in crate::hosting) async fn get_blob(
        &self,
        url: Url,
    ) -> Result<Option<StoredBlob>, HostingError> {
        let what = format!("reading {url}");
        let answer = self
            .send(Method::GET, url, Vec::new(), Vec::new(), &what)
            .await?;
        match answer.status {
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::OK => Ok(Some(StoredBlob {
                content_type: answer.header("content-type").map(str::to_string),
                retired: answer
                    .header(RETIRED_KEYS_METADATA)
                    .map(RetiredKeys::parse)
                    .unwrap_or_default(),
                text: answer.text(),
            })),
            _ => Err(storage_error(&what, &answer)),
        }
    }

    pub(super) async fn ensure_public_container(&self) -> Result<(), HostingError> {
        let what = format!("creating container {}", self.container());
        let public = vec![("x-ms-blob-public-access", "blob".to_string())];
        let created = self
            .send(
                Method::PUT,
                self.container_url("restype=container"),
                public.clone(),
                Vec::new(),
                &what,
            )
            .await?;
        match created.status {
            StatusCode::CREATED => return Ok(()),
            StatusCode::CONFLICT
                if created.header("x-ms-error-code") == Some("ContainerAlreadyExists") => {}
            _ => return Err(storage_error(&what, &created)),
        }
        if self.container_access().await? == ContainerAccess::Public {
            return Ok(());
        }
        // Setting the access level replaces the stored access policies: send back the ones there are.
        let what = format!(
            "allowing anonymous blob reads on container {}",
            self.container()
        );
        let acl_url = self.container_url("restype=container&comp=acl");
        let policies = self
            .expect(
                Method::GET,
                acl_url.clone(),
                Vec::new(),
                Vec::new(),
                &what,
                &[StatusCode::OK],
            )
            .await?;
        let mut headers = public;
        if !policies.body.is_empty() {
            headers.push(("content-type", "application/xml".to_string()));
        }
        self.expect(
            Method::PUT,
            acl_url,
            headers,
            policies.body,
            &what,
            &[StatusCode::OK],
        )
        .await
        .map(drop)
    }

    pub(super) async fn ensure_static_website(&self) -> Result<(), HostingError> {
        if !self.static_website_enabled().await? {
            let what = format!(
                "enabling the static website of storage account {}",
                self.endpoint.account()
            );
            // Omitted elements keep their settings (Set Blob Service Properties).
            let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties><StaticWebsite>\
                        <Enabled>true</Enabled></StaticWebsite></StorageServiceProperties>";
            let headers = vec![("content-type", "application/xml".to_string())];
            let url = self.at("?restype=service&comp=properties");
            self.expect(
                Method::PUT,
                url,
                headers,
                body.as_bytes().to_vec(),
                &what,
                &[StatusCode::ACCEPTED],
            )
            .await?;
        }
        // Azure creates `$web` when the website is enabled; an emulator may not.
        let what = format!("creating container {WEB_CONTAINER}");
        let created = self
            .send(
                Method::PUT,
                self.container_url("restype=container"),
                Vec::new(),
                Vec::new(),
                &what,
            )
            .await?;
        match created.status {
            StatusCode::CREATED => Ok(()),
            StatusCode::CONFLICT
                if created.header("x-ms-error-code") == Some("ContainerAlreadyExists") =>
            {
                Ok(())
            }
            _ => Err(storage_error(&what, &created)),
        }
    }

    /// Uploads `text` as application/json with the one metadata entry `metadata`, if any (Put
    /// Blob replaces the blob's metadata).
    pub(super) async fn put_json(
        &self,
        url: &Url,
        text: &str,
        metadata: Option<(&'static str, String)>,
    ) -> Result<(), HostingError> {
        let mut headers = vec![
            ("x-ms-blob-type", "BlockBlob".to_string()),
            // Without it the blob is application/octet-stream (azure.md §6).
            ("x-ms-blob-content-type", "application/json".to_string()),
            ("x-ms-blob-cache-control", CACHE_CONTROL.to_string()),
            ("content-type", "application/json".to_string()),
        ];
        headers.extend(metadata);
        let what = format!("uploading {url}");
        self.expect(
            Method::PUT,
            url.clone(),
            headers,
            text.as_bytes().to_vec(),
            &what,
            &[StatusCode::CREATED],
        )
        .await
        .map(drop)
    }

    pub(in crate::hosting) async fn expect(
        &self,
        method: Method,
        url: Url,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        what: &str,
        expected: &[StatusCode],
    ) -> Result<Answer, HostingError> {
        let answer = self.send(method, url, headers, body, what).await?;
        if expected.contains(&answer.status) {
            Ok(answer)
        } else {
            Err(storage_error(what, &answer))
        }
    }

    /// Sends one signed request; any HTTP answer is returned, only transport failures are errors.
    pub(super) async fn send(
        &self,
        method: Method,
        url: Url,
        mut headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        what: &str,
    ) -> Result<Answer, HostingError> {
        let signer = self
            .signer
            .as_ref()
            .ok_or_else(|| HostingError::StorageKeyMissing {
                account: self.endpoint.account().to_string(),
            })?;
        headers.push(("x-ms-date", http_date(SystemTime::now())));
        headers.push(("x-ms-version", STORAGE_VERSION.to_string()));
        if method == Method::PUT {
            headers.push(("content-length", body.len().to_string()));
        }
        let authorization = signer.authorization(method.as_str(), &url, &headers);
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", authorization);
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let unreachable = |failure: TransportFailure| HostingError::StorageUnreachable {
            what: what.to_string(),
            message: format!("{} did not answer: {failure}", self.endpoint.url()),
        };
        let started = std::time::Instant::now();
        let response = self
            .http
            .send(request.body(body))
            .await
            .map_err(|error| unreachable(error.failure))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|error| unreachable(self.http.failure_of(&error, started.elapsed())))?
            .to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

pub(super) fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub(super) fn storage_error(what: &str, answer: &Answer) -> HostingError {
    let text = answer.text();
    let between = |open: &str, close: &str| {
        text.split(open)
            .nth(1)
            .and_then(|rest| rest.split(close).next())
            .map(str::to_string)
    };
    let code = answer
        .header("x-ms-error-code")
        .map(str::to_string)
        .or_else(|| between("<Code>", "</Code>"));
    let message = between("<Message>", "</Message>")
        .map(|message| message.lines().next().unwrap_or_default().to_string());
    HostingError::Storage {
        what: what.to_string(),
        status: answer.status.as_u16(),
        code: code.unwrap_or_else(|| answer.status.canonical_reason().unwrap_or("").to_string()),
        message: message.unwrap_or_default(),
    }
}
